import CNCCore

/// The cgroup driver a container's cgroups are managed through.
public enum CgroupDriverKind: String, Sendable, Codable, CaseIterable {
    /// Write the cgroup file system directly.
    case cgroupfs
    /// Ask systemd over D-Bus for transient scopes (only when systemd is PID 1).
    case systemd
}

/// What "auto" picks, and why.
public struct CgroupDriverChoice: Sendable, Codable, Equatable {
    public var driver: CgroupDriverKind
    public var reason: String

    /// `auto` picks systemd when systemd manages the host (sd_booted: /run/systemd/system
    /// exists and PID 1 is systemd), else cgroupfs.
    public static func auto(pid1Command: String?, runSystemdSystemExists: Bool) -> CgroupDriverChoice {
        let pid1 = pid1Command ?? "unknown"
        if pid1 == "systemd" && runSystemdSystemExists {
            return CgroupDriverChoice(driver: .systemd, reason: "PID 1 is systemd")
        }
        if pid1 == "systemd" {
            return CgroupDriverChoice(driver: .cgroupfs, reason: "PID 1 is systemd but /run/systemd/system is missing")
        }
        return CgroupDriverChoice(driver: .cgroupfs, reason: "PID 1 is not systemd (it is \"\(pid1)\")")
    }
}
