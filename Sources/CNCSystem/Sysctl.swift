import CNCCore
import Glibc

/// Kernel parameters under /proc/sys (net.ipv4.ip_forward, per-interface settings).
public enum Sysctl {
    /// "net.ipv4.conf.br0.route_localnet" -> "/proc/sys/net/ipv4/conf/br0/route_localnet".
    /// Interface names may hold dots, so callers pass the interface as its own component.
    public static func path(_ components: [String]) -> String {
        "/proc/sys/" + components.joined(separator: "/")
    }

    public static func read(_ components: [String]) throws -> String {
        try FileSystem.readText(path(components)).trimmingSpaces
    }

    /// Writes `value` unless the parameter already holds it.
    public static func write(_ components: [String], _ value: String) throws {
        let p = path(components)
        if let current = try? FileSystem.readText(p).trimmingSpaces, current == value { return }
        let fd = try retryingEINTR("open", path: p) { open(p, O_WRONLY | O_CLOEXEC) }
        defer { close(fd) }
        try FileSystem.writeAll(fd, Array(value.utf8), path: p)
    }
}
