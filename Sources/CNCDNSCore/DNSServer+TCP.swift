import Glibc

extension DNSServer {
    /// Accepts what the listening socket holds, up to the connection limit.
    func acceptTCP() {
        while connections.count < Self.maxConnections {
            var sa = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept(config.tcpFD, $0, &len)
                }
            }
            if fd < 0 { return }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            nextConnectionID += 1
            connections.append(Connection(id: nextConnectionID, fd: fd, deadline: Self.now() + Self.connectionIdleTimeout))
        }
    }

    /// Reads length-prefixed queries (RFC 1035 §4.2.2; RFC 7766: several per connection) and
    /// writes pending replies. A connection that ends, errs or exceeds a message is closed.
    func serviceConnections(_ ready: [Int32: Int16]) {
        var closed: Set<Int> = []
        for i in connections.indices {
            guard let events = ready[connections[i].fd] else { continue }
            if events & Int16(POLLOUT) != 0 { flush(&connections[i]) }
            guard events & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(connections[i].fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            if n <= 0 { closed.insert(connections[i].id); continue }
            connections[i].input += buffer[0..<n]
            connections[i].deadline = Self.now() + Self.connectionIdleTimeout
            if connections[i].input.count > 70_000 { closed.insert(connections[i].id); continue }
            var peer = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(connections[i].fd, $0, &len) }
            }
            let from = UInt32(bigEndian: peer.sin_addr.s_addr)
            while connections[i].input.count >= 2 {
                let size = Int(connections[i].input[0]) << 8 | Int(connections[i].input[1])
                guard connections[i].input.count >= 2 + size else { break }
                let message = Array(connections[i].input[2..<(2 + size)])
                connections[i].input.removeFirst(2 + size)
                let id = connections[i].id
                if let reply = handle(message, from: from, client: .tcp(id), tcp: true), reply.count <= 65535 {
                    connections[i].output += [UInt8(reply.count >> 8), UInt8(reply.count & 0xff)] + reply
                }
            }
            flush(&connections[i])
        }
        for c in connections where closed.contains(c.id) { close(c.fd) }
        connections.removeAll { closed.contains($0.id) }
    }

    /// Writes as much of the connection's pending output as the socket takes.
    func flush(_ c: inout Connection) {
        while !c.output.isEmpty {
            let n = c.output.withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            c.output.removeFirst(n)
        }
    }
}
