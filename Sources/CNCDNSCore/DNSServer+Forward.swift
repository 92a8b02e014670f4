import Glibc

extension DNSServer {
    /// Sends `f`'s query to its next server on a fresh connected UDP socket (a random source
    /// port per query; the kernel drops datagrams from anyone but that server). False when no
    /// server is left.
    func send(_ f: inout Forward) -> Bool {
        if f.fd >= 0 { close(f.fd); f.fd = -1 }
        while f.next < f.servers.count {
            let server = f.servers[f.next]
            f.next += 1
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return false }
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = server.port.bigEndian
            sa.sin_addr.s_addr = server.address.bigEndian
            let connected = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            let sent = connected == 0 ? f.query.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } : -1
            if sent == f.query.count {
                f.fd = fd
                f.deadline = Self.now() + Self.forwardTimeout
                return true
            }
            close(fd)
        }
        return false
    }

    /// Relays answers that arrived; a server that refused (ICMP unreachable) moves on to the next.
    func serviceForwards(_ ready: [Int32: Int16]) {
        var i = 0
        while i < forwards.count {
            guard ready[forwards[i].fd] != nil else { i += 1; continue }
            let n = buffer.withUnsafeMutableBytes { recv(forwards[i].fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { i += 1; continue }
            let f = forwards[i]
            if n >= 12, isAnswer(Array(buffer[0..<n]), to: f) {
                close(f.fd)
                forwards.remove(at: i)
                deliver(Array(buffer[0..<n]), to: f.client)
                continue
            }
            if n < 0 { retryOrFail(at: i) } else { i += 1 }  // a stray datagram: keep waiting
        }
    }

    /// The reply of the server we asked: response bit, our ID, our question.
    func isAnswer(_ b: [UInt8], to f: Forward) -> Bool {
        guard b[2] & 0x80 != 0, UInt16(b[0]) << 8 | UInt16(b[1]) == f.id else { return false }
        let end = 12 + f.question.count
        return b.count >= end && b[12..<end].elementsEqual(f.question) || b[4] == 0 && b[5] == 0
    }

    /// The next server, or SERVFAIL to the client when none is left.
    func retryOrFail(at i: Int) {
        if send(&forwards[i]) { return }
        let f = forwards.remove(at: i)
        if f.fd >= 0 { close(f.fd) }
        if case .query(let q) = DNSQuery.parse(f.query) {
            deliver(DNSReply.answer(q, rcode: DNSRcode.serverFailure, records: [], maxSize: f.maxSize), to: f.client)
        }
    }

    func expire(now: Int64) {
        var i = forwards.count - 1
        while i >= 0 {
            if forwards[i].deadline <= now { retryOrFail(at: i) }
            i -= 1
        }
        for c in connections where c.deadline <= now { close(c.fd) }
        connections.removeAll { $0.deadline <= now }
    }
}
