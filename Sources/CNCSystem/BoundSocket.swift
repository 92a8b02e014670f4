import CNCCore
import Glibc

/// Sockets bound here and handed to a child process (socket activation): the kernel queues
/// what arrives from the moment of the bind, before the child runs.
public enum BoundSocket {
    /// A non-blocking, close-on-exec UDP socket bound to `address`:`port`.
    public static func udp(address: IPv4Address, port: UInt16) throws -> Int32 {
        try bound(address: address, port: port, type: Int32(SOCK_DGRAM.rawValue))
    }

    /// A non-blocking, close-on-exec TCP socket listening on `address`:`port` (SO_REUSEADDR,
    /// so connections of an earlier listener in TIME_WAIT do not block it).
    public static func tcpListener(address: IPv4Address, port: UInt16, backlog: Int32 = 64) throws -> Int32 {
        let fd = try bound(address: address, port: port, type: Int32(SOCK_STREAM.rawValue), reuseAddress: true)
        guard listen(fd, backlog) == 0 else {
            let e = errno
            close(fd)
            throw SystemError.make("listen", errno: e, path: "tcp \(address):\(port)")
        }
        return fd
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    static func bound(address: IPv4Address, port: UInt16, type: Int32, reuseAddress: Bool = false) throws -> Int32 {
        let what = "\(type == Int32(SOCK_DGRAM.rawValue) ? "udp" : "tcp") \(address):\(port)"
        let fd = socket(AF_INET, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.make("socket", errno: errno, path: what) }
        if reuseAddress {
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(4))
        }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        let b = address.bytes
        sa.sin_addr.s_addr = UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
        let r = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else {
            let e = errno
            Glibc.close(fd)
            throw SystemError.make("bind", errno: e, path: what)
        }
        return fd
    }
}
