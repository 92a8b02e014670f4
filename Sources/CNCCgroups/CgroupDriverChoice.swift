import CNCCore

/// The cgroup driver a container's cgroups are managed through.
public enum CgroupDriverKind: String, Sendable, Codable, CaseIterable {
    /// Write the cgroup file system directly.
    case cgroupfs
    /// Ask systemd over D-Bus for a transient scope per container (CNCSystemd).
    case systemd
}

/// What was asked for: `--cgroup-manager`, `CNC_CGROUP_MANAGER` or `x-cnc.cgroup_driver`.
public enum CgroupDriverRequest: String, Sendable, Codable, CaseIterable {
    case auto, cgroupfs, systemd

    /// Parses a value given by `source` ("--cgroup-manager", "CNC_CGROUP_MANAGER").
    public static func parse(_ text: String, source: String) throws -> CgroupDriverRequest {
        guard let r = CgroupDriverRequest(rawValue: text) else {
            throw CNCError(.invalidArgument, "invalid \(source) \"\(text)\": want systemd, cgroupfs or auto")
        }
        return r
    }
}

/// The driver in use, and why (what `cnc info` prints).
public struct CgroupDriverChoice: Sendable, Codable, Equatable {
    public var driver: CgroupDriverKind
    public var reason: String

    public init(driver: CgroupDriverKind, reason: String) {
        self.driver = driver
        self.reason = reason
    }

    /// A named driver is used as asked (`source` says where: "--cgroup-manager systemd");
    /// `auto` is the driver of the state root's containers while it has some (`recorded`: that
    /// driver and the root: removing, stopping or updating them through the other one would
    /// miss their cgroups), else systemd when PID 1 is systemd and its bus answers, else cgroupfs.
    /// `busProblem`: nil when systemd answered on D-Bus, else what went wrong (only asked
    /// when PID 1 is systemd).
    public static func resolve(_ request: CgroupDriverRequest, source: String, pid1Command: String?,
                               recorded: (driver: CgroupDriverKind, root: String)? = nil,
                               busProblem: () -> String?) -> CgroupDriverChoice {
        switch request {
        case .cgroupfs: return CgroupDriverChoice(driver: .cgroupfs, reason: "asked for with \(source)")
        case .systemd: return CgroupDriverChoice(driver: .systemd, reason: "asked for with \(source)")
        case .auto: break
        }
        if let recorded {
            return CgroupDriverChoice(driver: recorded.driver, reason: "auto: the containers of \(recorded.root) are managed by it")
        }
        let pid1 = pid1Command ?? "unknown"
        guard pid1 == "systemd" else {
            return CgroupDriverChoice(driver: .cgroupfs, reason: "auto: PID 1 is not systemd (it is \"\(pid1)\")")
        }
        if let problem = busProblem() {
            return CgroupDriverChoice(driver: .cgroupfs, reason: "auto: PID 1 is systemd but its bus does not answer (\(problem))")
        }
        return CgroupDriverChoice(driver: .systemd, reason: "auto: PID 1 is systemd and its bus answers")
    }
}
