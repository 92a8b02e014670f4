import CNCCore

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

extension CgroupLimits {
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

extension BlkioThrottle.Kind {
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
