import CNCCore

/// The cgroup driver a container's cgroups are managed through.
public enum CgroupDriverKind: String, Sendable, Codable, CaseIterable {
    /// Write the cgroup file system directly.
    case cgroupfs
    /// Ask systemd over D-Bus for transient scopes. Not built yet: nothing selects it.
    case systemd
}

/// What "auto" picks, and why.
public struct CgroupDriverChoice: Sendable, Codable, Equatable {
    public var driver: CgroupDriverKind
    public var reason: String

    /// cgroupfs, the only driver built so far; the reason says what systemd's presence would
    /// change once the systemd driver exists (it is not supported yet).
    public static func auto(pid1Command: String?, runSystemdSystemExists: Bool) -> CgroupDriverChoice {
        let pid1 = pid1Command ?? "unknown"
        let why: String
        if pid1 == "systemd" && runSystemdSystemExists {
            why = "PID 1 is systemd, but the systemd cgroup driver is not supported yet"
        } else if pid1 == "systemd" {
            why = "PID 1 is systemd but /run/systemd/system is missing; the systemd cgroup driver is not supported yet"
        } else {
            why = "PID 1 is not systemd (it is \"\(pid1)\"); the systemd cgroup driver is not supported yet"
        }
        return CgroupDriverChoice(driver: .cgroupfs, reason: why)
    }
}
