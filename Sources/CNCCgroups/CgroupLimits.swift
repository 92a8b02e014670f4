import CNCCore

/// The resource limits of one container, in Docker's units. Every field nil means "leave the
/// kernel default"; `cnc update` sends only the fields it changes.
public struct CgroupLimits: Sendable, Codable, Equatable {
    /// CFS quota in microseconds per period (`--cpus` * period, or `--cpu-quota`); -1 unlimited.
    public var cpuQuota: Int64?
    /// CFS period in microseconds (default 100000).
    public var cpuPeriod: Int64?
    /// v1 cpu.shares (2...262144); v2 gets the same value as cpu.weight through Docker's formula.
    public var cpuShares: Int64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// Hard memory limit in bytes.
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

    /// Docker's default for `--memory` without `--memory-swap`: as much swap as memory.
    public var effectiveMemorySwap: Int64? {
        if let s = memorySwap { return s }
        if let m = memory, m > 0 { return 2 * m }
        return nil
    }

    /// Fields of `update` override this.
    public func merging(_ update: CgroupLimits) -> CgroupLimits {
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

    /// Docker's shares -> cgroup v2 weight conversion (2..262144 -> 1..10000).
    public static func weight(fromShares shares: Int64) -> Int64 {
        let s = min(max(shares, 2), 262_144)
        return 1 + ((s - 2) * 9999) / 262_142
    }

    /// blkio weight (10..1000) -> io.weight (1..10000).
    public static func ioWeight(fromBlkio w: Int64) -> Int64 {
        let v = min(max(w, 10), 1000)
        return 1 + ((v - 10) * 9999) / 990
    }
}

/// One block-device throttle: `--device-read-bps /dev/sda:1mb` and friends.
public struct BlkioThrottle: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case readBps, writeBps, readIOps, writeIOps
        var v1File: String {
            switch self {
            case .readBps: "blkio.throttle.read_bps_device"
            case .writeBps: "blkio.throttle.write_bps_device"
            case .readIOps: "blkio.throttle.read_iops_device"
            case .writeIOps: "blkio.throttle.write_iops_device"
            }
        }
        var v2Key: String {
            switch self {
            case .readBps: "rbps"
            case .writeBps: "wbps"
            case .readIOps: "riops"
            case .writeIOps: "wiops"
            }
        }
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

/// What `cnc stats` shows, read from the container's cgroup.
public struct CgroupStats: Sendable, Codable, Equatable {
    public var cpuUsageNanos: Int64 = 0
    public var memoryUsage: Int64 = 0
    /// nil when unlimited.
    public var memoryLimit: Int64?
    public var pids: Int64 = 0
    public var blockRead: Int64 = 0
    public var blockWrite: Int64 = 0
    public init() {}
}
