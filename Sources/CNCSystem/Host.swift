import CNCCore
import Glibc

/// Facts about the running kernel and process.
public enum Host {
    /// uname(2): system name, release and machine, e.g. ("Linux", "6.18.44", "x86_64").
    public static func uname() -> (system: String, release: String, machine: String) {
        var u = utsname()
        guard Glibc.uname(&u) == 0 else { return ("Linux", "unknown", "unknown") }
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        return (field(u.sysname), field(u.release), field(u.machine))
    }

    /// The command name of PID 1 (/proc/1/comm), if readable.
    public static func pid1Command() -> String? {
        (try? FileSystem.readText("/proc/1/comm"))?.trimmingSpaces
    }

    public static var effectiveUserID: UInt32 { geteuid() }
    public static var realUserID: UInt32 { getuid() }

    /// Sets an environment variable for this process and its children.
    public static func setEnvironment(_ name: String, _ value: String) { setenv(name, value, 1) }

    /// The value of an environment variable.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// This process's environment as NAME=VALUE strings (what a spawned child inherits).
    public static func environmentList() -> [String] {
        var out: [String] = []
        var p = environ
        while let entry = p.pointee {
            out.append(String(cString: entry))
            p += 1
        }
        return out
    }
}
