import CNCCore

/// Rootless cnc on a host whose cgroups are not delegated to the user (cgroup v1, or v2 without
/// a systemd user session): containers get no cgroup of their own, so no limit can be enforced.
/// A start or `cnc update` that sets a limit is refused, saying which, instead of pretending.
public struct UndelegatedCgroups: CgroupManager {
    /// Why there is no cgroup ("cgroup v1 is not delegated to unprivileged users").
    public let reason: String

    public init(reason: String) { self.reason = reason }

    public var kind: CgroupDriverKind { .cgroupfs }

    /// The limits this host cannot enforce rootless, as `cnc run` spells them.
    public static let unenforceable = [
        "--memory", "--memory-reservation", "--memory-swap", "--cpus/--cpu-quota", "--cpu-period", "--cpu-shares",
        "--cpuset-cpus", "--cpuset-mems", "--pids-limit", "--oom-kill-disable", "--blkio-weight", "--device-read/write-bps/iops",
    ]

    /// The flags of `limits` that ask for something (device rules aside: rootless containers
    /// reach only the device nodes bound in, which the user may open anyway).
    public static func flags(_ l: CgroupLimits) -> [String] {
        var out: [String] = []
        if l.memory != nil { out.append("--memory") }
        if l.memoryReservation != nil { out.append("--memory-reservation") }
        if l.memoryHigh != nil { out.append("memory.high") }
        if l.memorySwap != nil { out.append("--memory-swap") }
        if l.cpuQuota != nil { out.append("--cpus") }
        if l.cpuPeriod != nil { out.append("--cpu-period") }
        if l.cpuShares != nil { out.append("--cpu-shares") }
        if l.cpusetCpus != nil { out.append("--cpuset-cpus") }
        if l.cpusetMems != nil { out.append("--cpuset-mems") }
        if l.pids != nil { out.append("--pids-limit") }
        if l.oomKillDisable != nil { out.append("--oom-kill-disable") }
        if l.blkioWeight != nil { out.append("--blkio-weight") }
        if !(l.blkioThrottles ?? []).isEmpty { out.append("--device-read/write-bps/iops") }
        return out
    }

    public func refusal(_ limits: CgroupLimits) -> CNCError? {
        let asked = Self.flags(limits)
        guard !asked.isEmpty else { return nil }
        return CNCError(.unsupported, "cannot set limits without cgroups: rootless cnc cannot enforce \(asked.joined(separator: ", ")): "
            + "\(reason) (leave the limit out, or run cnc as root)")
    }

    public func create(_ path: String, limits: CgroupLimits) throws {
        if let e = refusal(limits) { throw e }
    }

    public func update(_ path: String, limits: CgroupLimits) throws {
        if let e = refusal(limits) { throw e }
    }

    public func addProcess(_ pid: Int32, to path: String) throws {}
    public func procsFiles(_ path: String) -> [String] { [] }
    public func oomCounter(_ path: String) -> (file: String, key: String)? { nil }
    public func processes(_ path: String) -> [Int32] { [] }
    public func stats(_ path: String) throws -> CgroupStats { CgroupStats() }

    public func freeze(_ path: String) throws {
        throw CNCError(.unsupported, "cannot pause containers without cgroups: \(reason)")
    }

    public func thaw(_ path: String) throws {
        throw CNCError(.unsupported, "cannot unpause containers without cgroups: \(reason)")
    }

    public func isFrozen(_ path: String) -> Bool { false }
    public func remove(_ path: String, keepParents: Bool) throws {}
    public func exists(_ path: String) -> Bool { false }
    public func containerView(_ path: String) -> CgroupView { CgroupView(binds: []) }
}
