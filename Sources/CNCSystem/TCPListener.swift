import CNCCore
import Glibc

/// A listening TCP socket (IPv4) that hands out blocking connections with I/O timeouts: the
/// accepting side of small HTTP endpoints (`cncapply sync --status-addr/--webhook`).
public final class TCPListener: @unchecked Sendable {
    // @unchecked: `fd` changes only in close(), after the accepting thread stopped.
    private var fd: Int32
    /// The port bound (the one asked for, or the kernel's choice for 0).
    public let port: UInt16

    public init(address: IPv4Address, port: UInt16, backlog: Int32 = 64) throws {
        let fd = try BoundSocket.tcpListener(address: address, port: port, backlog: backlog)
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let r = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        self.port = r == 0 ? UInt16(bigEndian: sa.sin_port) : port
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    /// Waits up to `timeoutMilliseconds` for a connection; nil when none came. The connection's
    /// reads and writes time out after `ioTimeout` seconds.
    public func accept(timeoutMilliseconds: Int32, ioTimeout: Int = 5) throws -> TCPConnection? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let n = poll(&p, 1, timeoutMilliseconds)
        if n < 0 {
            if errno == EINTR { return nil }
            throw SystemError.make("poll", errno: errno, path: "tcp listener :\(port)")
        }
        if n == 0 { return nil }
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let c = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &len) }
        }
        // accept4 is not visible to Swift here: set close-on-exec right after (cncapply spawns
        // children only from this process's own calls, never between the two).
        if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }
        if c < 0 {
            if errno == EAGAIN || errno == EINTR || errno == ECONNABORTED { return nil }
            throw SystemError.make("accept", errno: errno, path: "tcp listener :\(port)")
        }
        let a = UInt32(bigEndian: sa.sin_addr.s_addr)
        let peer = "\(a >> 24).\((a >> 16) & 255).\((a >> 8) & 255).\(a & 255):\(UInt16(bigEndian: sa.sin_port))"
        return TCPConnection(accepted: c, peer: peer, timeout: ioTimeout)
    }
}
