/// The resource limits of one container, in Docker's units: the one representation that the
/// cgroup drivers write, config.json carries, `inspect` shows, the state records and the planner
/// compares. It follows the OCI runtime-spec's LinuxResources rules, which youki and runc keep:
/// an ABSENT field (nil) leaves the value as it is; an explicit `CgroupLimits.unlimited` (-1;
/// for memory, reservation, high, swap, pids and the CPU quota any value <= 0) REMOVES the
/// limit ("max" on v2, -1 on v1). A container's stored limits are its complete state: there,
/// nil means "never limited", which is what the kernel gives a new cgroup.
public struct CgroupLimits: Sendable, Codable, Equatable {
    /// Written to remove a limit.
    public static let unlimited: Int64 = -1
    /// The kernel's defaults, written when an update takes a setting back to "not set".
    public static let defaultCPUPeriod: Int64 = 100_000
    public static let defaultCPUShares: Int64 = 1024

    /// CFS quota in microseconds per period (`--cpus` * period, or `--cpu-quota`); -1 unlimited.
    public var cpuQuota: Int64?
    /// CFS period in microseconds (default 100000).
    public var cpuPeriod: Int64?
    /// v1 cpu.shares (2...262144); v2 gets the same value as cpu.weight through Docker's formula.
    public var cpuShares: Int64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// Hard memory limit in bytes; -1 unlimited.
    public var memory: Int64?
    /// Soft limit (`--memory-reservation`): v1 memory.soft_limit_in_bytes, v2 memory.low.
    public var memoryReservation: Int64?
    /// v2 memory.high throttling point.
    public var memoryHigh: Int64?
    /// Memory plus swap, Docker's `--memory-swap`; -1 unlimited swap.
    public var memorySwap: Int64?
    /// `--pids-limit`; 0 or -1 unlimited.
    public var pids: Int64?
    public var oomKillDisable: Bool?
    /// `--blkio-weight` (10...1000).
    public var blkioWeight: Int64?
    public var blkioThrottles: [BlkioThrottle]?
    /// Extra device rules (`--device-cgroup-rule`), after the default allow-list.
    public var deviceRules: [DeviceRule]?

    public init() {}

    /// True when nothing is set.
    public var isEmpty: Bool { self == CgroupLimits() }

    /// Docker's default for `--memory` without `--memory-swap`: as much swap as memory. A
    /// memory limit being removed takes the swap limit with it (v1 refuses an unlimited
    /// memory.limit_in_bytes under a set memory.memsw.limit_in_bytes).
    public var effectiveMemorySwap: Int64? {
        if let m = memory, m <= 0 { return Self.unlimited }
        if let s = memorySwap { return s }
        if let m = memory, m > 0 { return 2 * m }
        return nil
    }

    /// The limits `cncapply` and `cnc update` change in place: CPU quota/period and shares,
    /// memory, memory reservation, pids. Values that mean "unlimited" become nil, so the
    /// stored state of two containers with the same limits compares equal.
    public var live: CgroupLimits {
        var l = CgroupLimits()
        if let q = cpuQuota, q > 0 {
            l.cpuQuota = q
            l.cpuPeriod = cpuPeriod ?? Self.defaultCPUPeriod
        }
        l.cpuShares = cpuShares.flatMap { $0 > 0 && $0 != Self.defaultCPUShares ? $0 : nil }
        l.memory = memory.flatMap { $0 > 0 ? $0 : nil }
        l.memoryReservation = memoryReservation.flatMap { $0 > 0 ? $0 : nil }
        l.pids = pids.flatMap { $0 > 0 ? $0 : nil }
        return l
    }

    /// The update that makes a container's live limits exactly `live`'s: every live field
    /// present, the absent ones as "remove the limit" or the kernel default.
    public var liveUpdate: CgroupLimits {
        let l = live
        var u = l
        u.cpuQuota = l.cpuQuota ?? Self.unlimited
        u.cpuPeriod = l.cpuPeriod ?? Self.defaultCPUPeriod
        u.cpuShares = l.cpuShares ?? Self.defaultCPUShares
        u.memory = l.memory ?? Self.unlimited
        u.memoryReservation = l.memoryReservation ?? Self.unlimited
        u.pids = l.pids ?? Self.unlimited
        return u
    }

    /// This container's complete limits after `update` (fields it has override, absent ones
    /// stay); a removed limit is stored as not set, and so is swap derived from a memory limit
    /// that went away.
    public func merging(_ update: CgroupLimits) -> CgroupLimits {
        var out = overriding(update)
        func unset(_ v: Int64?) -> Int64? { v.flatMap { $0 > 0 ? $0 : nil } }
        out.memory = unset(out.memory)
        out.memoryReservation = unset(out.memoryReservation)
        out.memoryHigh = unset(out.memoryHigh)
        out.pids = unset(out.pids)
        if let q = out.cpuQuota, q <= 0 { out.cpuQuota = nil }
        if out.memory == nil, update.memory != nil, update.memorySwap == nil { out.memorySwap = nil }
        return out
    }

    /// What `cnc update`'s flags (docker's `update`) change, given this container's limits: a
    /// memory limit given without --memory-swap keeps the swap limit the container has (docker
    /// records it at create: twice the memory when not given), and one above that swap limit is
    /// refused in docker's daemon's words. Where the container has no swap limit (no memory
    /// limit, or --memory-swap -1) docker's daemon refuses any memory limit without
    /// --memory-swap; cnc sets it, and the swap stays unlimited.
    public func dockerUpdate(_ update: CgroupLimits) throws -> CgroupLimits {
        guard let m = update.memory, m > 0, update.memorySwap == nil, let s = effectiveMemorySwap, s > 0 else { return update }
        if m > s {
            throw CNCError(.conflict, "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
        }
        var u = update
        u.memorySwap = s
        return u
    }

    /// Docker's smallest memory limit (and reservation).
    public static let minimumMemory: Int64 = 6 * 1024 * 1024

    /// Refuses what Docker refuses, in its words (daemon/daemon_unix.go): too little memory, a
    /// reservation above the limit, swap below memory or without memory, CFS values out of
    /// range. Run on a container's complete limits, so `run`, `update` and apply agree.
    public func validate() throws {
        func bad(_ m: String) -> CNCError { CNCError(.invalidArgument, m) }
        if let m = memory, m > 0, m < Self.minimumMemory { throw bad("Minimum memory limit allowed is 6MB") }
        if let r = memoryReservation, r > 0, r < Self.minimumMemory { throw bad("Minimum memory reservation allowed is 6MB") }
        if let s = memorySwap, s > 0 {
            guard let m = memory, m > 0 else {
                throw bad("You should always set the Memory limit when using Memoryswap limit, see usage")
            }
            if s < m { throw bad("Minimum memoryswap limit should be larger than memory limit, see usage") }
        }
        if let m = memory, m > 0, let r = memoryReservation, r > 0, r > m {
            throw bad("Minimum memory limit can not be less than memory reservation limit, see usage")
        }
        if let p = cpuPeriod, p != 0, !(1000...1_000_000).contains(p) {
            throw bad("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
        }
        if let q = cpuQuota, q > 0, q < 1000 { throw bad("CPU cfs quota can not be less than 1ms (i.e. 1000)") }
        if let w = blkioWeight, w != 0, !(10...1000).contains(w) { throw bad("Range of blkio weight is from 10 to 1000") }
    }

    /// The members of a cpuset list in Docker's syntax (pkg/parsers.ParseUintList: "0-3,5",
    /// each range ascending, no spaces); nil when malformed.
    public static func cpusetMembers(_ list: String) -> Set<Int>? {
        var out = Set<Int>()
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let lo = Int(ends[0]), lo >= 0 else { return nil }
            let hi = ends.count == 2 ? Int(ends[1]) : lo
            guard let hi, hi >= lo, hi - lo < 65_536 else { return nil }
            out.formUnion(lo...hi)
        }
        return out
    }

    /// Refuses a --cpuset-cpus/--cpuset-mems that is malformed or names CPUs or memory nodes
    /// this host does not offer, in Docker's daemon's words (daemon_unix.go's
    /// verifyPlatformContainerResources; `available` lists as the root cgroup's cpuset shows them).
    public func validateCpusets(availableCPUs: () -> String, availableMems: () -> String) throws {
        func check(_ wanted: String?, kind: String, what: String, available: () -> String) throws {
            guard let wanted, !wanted.isEmpty else { return }
            guard let members = Self.cpusetMembers(wanted) else {
                throw CNCError(.invalidArgument, "Invalid value \(wanted) for cpuset \(kind): invalid format: \(wanted)")
            }
            let offer = available()
            guard let offered = Self.cpusetMembers(offer), members.isSubset(of: offered) else {
                throw CNCError(.invalidArgument, "Requested \(what) are not available - requested \(wanted), available: \(offer)")
            }
        }
        try check(cpusetCpus, kind: "cpus", what: "CPUs", available: availableCPUs)
        try check(cpusetMems, kind: "mems", what: "memory nodes", available: availableMems)
    }

    /// The warnings Docker's daemon gives at create for limits it accepts but doubts.
    public var dockerWarnings: [String] {
        var out: [String] = []
        if oomKillDisable == true, (memory ?? 0) <= 0 {
            out.append("OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.")
        }
        return out
    }

    func overriding(_ update: CgroupLimits) -> CgroupLimits {
        var out = self
        out.cpuQuota = update.cpuQuota ?? cpuQuota
        out.cpuPeriod = update.cpuPeriod ?? cpuPeriod
        out.cpuShares = update.cpuShares ?? cpuShares
        out.cpusetCpus = update.cpusetCpus ?? cpusetCpus
        out.cpusetMems = update.cpusetMems ?? cpusetMems
        out.memory = update.memory ?? memory
        out.memoryReservation = update.memoryReservation ?? memoryReservation
        out.memoryHigh = update.memoryHigh ?? memoryHigh
        out.memorySwap = update.memorySwap ?? memorySwap
        out.pids = update.pids ?? pids
        out.oomKillDisable = update.oomKillDisable ?? oomKillDisable
        out.blkioWeight = update.blkioWeight ?? blkioWeight
        out.blkioThrottles = update.blkioThrottles ?? blkioThrottles
        out.deviceRules = update.deviceRules ?? deviceRules
        return out
    }

}

/// One block-device throttle: `--device-read-bps /dev/sda:1mb` and friends.
public struct BlkioThrottle: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case readBps, writeBps, readIOps, writeIOps
    }
    public var kind: Kind
    public var major: Int64
    public var minor: Int64
    public var rate: Int64
    public init(kind: Kind, major: Int64, minor: Int64, rate: Int64) {
        self.kind = kind; self.major = major; self.minor = minor; self.rate = rate
    }
}

/// A v1 devices-cgroup rule, "c 1:3 rwm" ("*" for any major or minor).
public struct DeviceRule: Sendable, Codable, Equatable, CustomStringConvertible {
    public var allow: Bool
    /// "a", "b" or "c"
    public var type: String
    public var major: Int64?
    public var minor: Int64?
    public var access: String

    public init(allow: Bool = true, type: String, major: Int64?, minor: Int64?, access: String = "rwm") {
        self.allow = allow; self.type = type; self.major = major; self.minor = minor; self.access = access
    }

    /// Parses Docker's `--device-cgroup-rule` form: "c 1:3 rwm", "b *:* m", "a".
    public init(parsing text: String) throws {
        let parts = text.split(separator: " ").map(String.init)
        func bad() -> CNCError { CNCError(.invalidArgument, "\"\(text)\" is not a device cgroup rule (example: \"c 1:3 rwm\")") }
        guard let t = parts.first, ["a", "b", "c"].contains(t) else { throw bad() }
        type = t
        allow = true
        if t == "a" { major = nil; minor = nil; access = "rwm"; return }
        guard parts.count == 3 else { throw bad() }
        let mm = parts[1].split(separator: ":").map(String.init)
        guard mm.count == 2 else { throw bad() }
        func num(_ s: String) throws -> Int64? { if s == "*" { return nil }; guard let v = Int64(s) else { throw bad() }; return v }
        major = try num(mm[0])
        minor = try num(mm[1])
        guard !parts[2].isEmpty, parts[2].allSatisfy({ "rwm".contains($0) }) else { throw bad() }
        access = parts[2]
    }

    public var description: String {
        if type == "a" { return "a" }
        return "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
    }

    /// runc's and Docker's default allow-list: mknod of anything, the standard character
    /// devices, ptys, and tun.
    public static let defaults: [DeviceRule] = [
        DeviceRule(type: "c", major: nil, minor: nil, access: "m"),
        DeviceRule(type: "b", major: nil, minor: nil, access: "m"),
        DeviceRule(type: "c", major: 1, minor: 3), DeviceRule(type: "c", major: 1, minor: 5),
        DeviceRule(type: "c", major: 1, minor: 7), DeviceRule(type: "c", major: 1, minor: 8),
        DeviceRule(type: "c", major: 1, minor: 9), DeviceRule(type: "c", major: 5, minor: 0),
        DeviceRule(type: "c", major: 5, minor: 1), DeviceRule(type: "c", major: 5, minor: 2),
        DeviceRule(type: "c", major: 136, minor: nil), DeviceRule(type: "c", major: 10, minor: 200),
    ]
}

