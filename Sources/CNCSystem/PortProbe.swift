import CNCCore
import Glibc

/// Checks whether a host port is free by binding it for a moment (SO_REUSEADDR, so only a real
/// listener or bound socket counts, not TIME_WAIT leftovers).
public enum PortProbe {
    /// True when nothing holds `port` on `address` (4 bytes; all zero for every address).
    public static func isFree(address: [UInt8], port: UInt16, udp: Bool) -> Bool {
        let fd = socket(AF_INET, (udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(4))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        let a = address.count == 4 ? address : [0, 0, 0, 0]
        sa.sin_addr.s_addr = (UInt32(a[0]) | UInt32(a[1]) << 8 | UInt32(a[2]) << 16 | UInt32(a[3]) << 24)
        let r = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if r != 0 { return errno != EADDRINUSE }
        return true
    }

    /// A port the kernel considers free right now (bind to port 0 and read it back).
    public static func ephemeral(udp: Bool) throws -> UInt16 {
        let fd = try retryingEINTR("socket") {
            socket(AF_INET, (udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { close(fd) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        try retryingEINTR("bind", path: "port 0") {
            withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        }
        try retryingEINTR("getsockname") {
            withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        }
        return UInt16(bigEndian: sa.sin_port)
    }

    /// `p` with a host port: its own, or (host port 0: `-p 80`, `-P`) a free ephemeral one that
    /// conflicts with nothing `taken` holds (up to 20 tries; the caller checks the result).
    public static func withHostPort(_ p: PublishedPort, avoiding taken: (PublishedPort) -> Bool) throws -> PublishedPort {
        guard p.hostPort == 0 else { return p }
        var p = p
        var tries = 0
        repeat {
            p.hostPort = try ephemeral(udp: p.proto == .udp)
            tries += 1
        } while taken(p) && tries < 20
        return p
    }
}
