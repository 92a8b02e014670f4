import Glibc

extension DNSServer {
    /// Sends `f`'s query to its next server on a fresh connected socket: UDP (a random source
    /// port per query; the kernel drops datagrams from anyone but that server), or TCP for a
    /// TCP client (non-blocking connect; the query is written when the socket is writable).
    /// False when no server is left.
    func send(_ f: inout Forward) -> Bool {
        if f.fd >= 0 { close(f.fd); f.fd = -1 }
        while f.next < f.servers.count {
            let server = f.servers[f.next]
            f.next += 1
            let type = f.tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
            let fd = socket(AF_INET, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return false }
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = server.port.bigEndian
            sa.sin_addr.s_addr = server.address.bigEndian
            let connected = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if f.tcp {
                if connected == 0 || errno == EINPROGRESS {
                    f.fd = fd
                    f.pending = [UInt8(f.query.count >> 8), UInt8(f.query.count & 0xff)] + f.query
                    f.input = []
                    f.deadline = Self.now() + Self.forwardTimeout
                    return true
                }
                close(fd)
                continue
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

    /// Relays answers that arrived; a server that refused (ICMP unreachable, a reset) moves on
    /// to the next.
    func serviceForwards(_ ready: [Int32: Int16]) {
        var i = 0
        while i < forwards.count {
            guard let events = ready[forwards[i].fd] else { i += 1; continue }
            let reply: [UInt8]?
            if forwards[i].tcp {
                switch serviceTCP(&forwards[i], events) {
                case .waiting: i += 1; continue
                case .failed: retryOrFail(at: i); continue
                case .message(let m): reply = m
                }
            } else {
                let n = buffer.withUnsafeMutableBytes { recv(forwards[i].fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && (errno == EAGAIN || errno == EINTR) { i += 1; continue }
                if n < 0 { retryOrFail(at: i); continue }
                reply = Array(buffer[0..<n])
            }
            let f = forwards[i]
            guard let reply, reply.count >= 12, isAnswer(reply, to: f) else {
                // A stray datagram: keep waiting; a TCP server's wrong answer: the next server.
                if f.tcp { retryOrFail(at: i) } else { i += 1 }
                continue
            }
            close(f.fd)
            forwards.remove(at: i)
            // An upstream may answer a UDP client with more than it can take (its 512 bytes, or
            // its EDNS size): cut to the header with TC, so the client asks again over TCP.
            deliver(reply.count > f.maxSize ? DNSReply.truncated(reply, question: f.question) : reply, to: f.client)
        }
    }

    enum TCPProgress {
        case waiting
        case failed
        case message([UInt8])
    }

    /// Writes what is left of a TCP forward's query and reads its length-prefixed answer.
    func serviceTCP(_ f: inout Forward, _ events: Int16) -> TCPProgress {
        if events & Int16(POLLOUT) != 0 && !f.pending.isEmpty {
            let n = f.pending.withUnsafeBytes { Glibc.send(f.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno != EAGAIN && errno != EINTR { return .failed }
            if n > 0 { f.pending.removeFirst(n) }
        }
        guard events & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0 else { return .waiting }
        let n = buffer.withUnsafeMutableBytes { recv(f.fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return .waiting }
        if n <= 0 { return .failed }
        f.input += buffer[0..<n]
        guard f.input.count >= 2 else { return .waiting }
        let size = Int(f.input[0]) << 8 | Int(f.input[1])
        guard f.input.count >= 2 + size else { return .waiting }
        return .message(Array(f.input[2..<(2 + size)]))
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
