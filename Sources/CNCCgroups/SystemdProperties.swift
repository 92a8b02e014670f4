import CNCCore

/// One D-Bus value of a unit property, in the types systemd's transient-unit API takes.
public enum SystemdValue: Sendable, Equatable {
    case bool(Bool)
    case string(String)
    case uint64(UInt64)
    /// `au` (PIDs)
    case uint32s([UInt32])
    /// `ay` (AllowedCPUs, AllowedMemoryNodes: a CPU/node bitmask, lowest first)
    case bytes([UInt8])
    /// `a(ss)` (DeviceAllow: node or "char-NAME", access)
    case pathStrings([PathString])
    /// `a(st)` (IO*BandwidthMax, BlockIO*Bandwidth: device node, value)
    case pathNumbers([PathNumber])

    public struct PathString: Sendable, Equatable {
        public var path, value: String
        public init(path: String, value: String) { self.path = path; self.value = value }
    }
    public struct PathNumber: Sendable, Equatable {
        public var path: String
        public var value: UInt64
        public init(path: String, value: UInt64) { self.path = path; self.value = value }
    }

    /// systemd's "infinity" for limits.
    public static let infinity = SystemdValue.uint64(UInt64.max)
}

/// A unit property: name and value (`a(sv)` element).
public struct SystemdProperty: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var value: SystemdValue
    public init(_ name: String, _ value: SystemdValue) { self.name = name; self.value = value }
    public var description: String { "\(name)=\(value)" }
}

/// The properties of a container's scope: what every scope carries, and the limits as unit
/// properties (the kernel files get the same values from the cgroupfs writers afterwards, plus
/// what systemd cannot express on the layout). Pure, unit-tested.
public enum SystemdProperties {
    /// Sent with every StartTransientUnit (runc's, crun's and youki's set).
    public static func scope(slice: String, pid: Int32, description: String, unified: Bool) -> [SystemdProperty] {
        [
            SystemdProperty("Description", .string(description)),
            SystemdProperty("Slice", .string(slice)),
            SystemdProperty("PIDs", .uint32s([UInt32(bitPattern: pid)])),
            SystemdProperty("Delegate", .bool(true)),
            SystemdProperty("DefaultDependencies", .bool(false)),
            // A scope that ends failed is collected as well: nothing cnc-* stays listed.
            SystemdProperty("CollectMode", .string("inactive-or-failed")),
            SystemdProperty("CPUAccounting", .bool(true)),
            SystemdProperty("MemoryAccounting", .bool(true)),
            SystemdProperty("TasksAccounting", .bool(true)),
            SystemdProperty(unified ? "IOAccounting" : "BlockIOAccounting", .bool(true)),
        ]
    }

    /// `limits` as unit properties, following CgroupLimits' rules: an absent field sends
    /// nothing, "unlimited" sends infinity. `unified`: the controllers are on cgroup v2.
    /// `deviceName(type, major)`: /proc/devices' name of a major ("pts" for c 136).
    public static func limits(_ l: CgroupLimits, unified: Bool, deviceName: (String, Int64) -> String? = { _, _ in nil }) -> [SystemdProperty] {
        var out: [SystemdProperty] = []
        func limit(_ name: String, _ v: Int64?) {
            guard let v else { return }
            out.append(SystemdProperty(name, v > 0 ? .uint64(UInt64(v)) : .infinity))
        }
        limit("MemoryMax", l.memory)
        limit("MemoryLow", l.memoryReservation)
        if unified { limit("MemoryHigh", l.memoryHigh) }
        // systemd's MemorySwapMax is swap alone; Docker's --memory-swap is memory plus swap.
        if let s = l.effectiveMemorySwap, l.memory != nil || l.memorySwap != nil {
            if s <= 0 { out.append(SystemdProperty("MemorySwapMax", .infinity)) } else if let m = l.memory, m > 0 {
                out.append(SystemdProperty("MemorySwapMax", .uint64(UInt64(max(0, s - m)))))
            }
        }
        if let p = l.cpuPeriod, p > 0 { out.append(SystemdProperty("CPUQuotaPeriodUSec", .uint64(UInt64(p)))) }
        if let q = l.cpuQuota {
            let period = l.cpuPeriod.flatMap { $0 > 0 ? $0 : nil } ?? CgroupLimits.defaultCPUPeriod
            out.append(SystemdProperty("CPUQuotaPerSecUSec", q > 0 ? .uint64(UInt64(q) * 1_000_000 / UInt64(period)) : .infinity))
        }
        if let s = l.cpuShares {
            out.append(unified ? SystemdProperty("CPUWeight", .uint64(UInt64(CgroupLimits.weight(fromShares: s))))
                               : SystemdProperty("CPUShares", .uint64(UInt64(max(2, s)))))
        }
        limit("TasksMax", l.pids)
        if let c = l.cpusetCpus, let mask = cpuMask(c) { out.append(SystemdProperty("AllowedCPUs", .bytes(mask))) }
        if let m = l.cpusetMems, let mask = cpuMask(m) { out.append(SystemdProperty("AllowedMemoryNodes", .bytes(mask))) }
        if let w = l.blkioWeight, w > 0 {
            out.append(unified ? SystemdProperty("IOWeight", .uint64(UInt64(CgroupLimits.ioWeight(fromBlkio: w))))
                               : SystemdProperty("BlockIOWeight", .uint64(UInt64(w))))
        }
        for kind in BlkioThrottle.Kind.allCases {
            let rules = (l.blkioThrottles ?? []).filter { $0.kind == kind }
            guard !rules.isEmpty, let name = throttleProperty(kind, unified: unified) else { continue }
            out.append(SystemdProperty(name, .pathNumbers(rules.map {
                .init(path: "/dev/block/\($0.major):\($0.minor)", value: $0.rate > 0 ? UInt64($0.rate) : UInt64.max)
            })))
        }
        if let rules = l.deviceRules { out += devices(DeviceRule.defaults + rules, deviceName: deviceName) }
        return out
    }

    /// The default device allow-list as properties (a new scope's, without extra rules).
    public static func defaultDevices(deviceName: (String, Int64) -> String?) -> [SystemdProperty] {
        devices(DeviceRule.defaults, deviceName: deviceName)
    }

    /// v1 has bandwidth properties only; IOPS throttles there are written by hand.
    static func throttleProperty(_ kind: BlkioThrottle.Kind, unified: Bool) -> String? {
        switch (kind, unified) {
        case (.readBps, false): "BlockIOReadBandwidth"
        case (.writeBps, false): "BlockIOWriteBandwidth"
        case (.readIOps, false), (.writeIOps, false): nil
        case (.readBps, true): "IOReadBandwidthMax"
        case (.writeBps, true): "IOWriteBandwidthMax"
        case (.readIOps, true): "IOReadIOPSMax"
        case (.writeIOps, true): "IOWriteIOPSMax"
        }
    }

    /// DevicePolicy=strict with the allow rules systemd can name (runc's mapping): "char-*" for
    /// any major, "char-NAME" for a whole major, the node for one device. An "a" rule allows
    /// everything (policy auto, no list); deny rules are written to devices.deny by hand.
    static func devices(_ rules: [DeviceRule], deviceName: (String, Int64) -> String?) -> [SystemdProperty] {
        if rules.contains(where: { $0.allow && $0.type == "a" }) { return [SystemdProperty("DevicePolicy", .string("auto"))] }
        var allow: [SystemdValue.PathString] = []
        for r in rules where r.allow {
            let kind = r.type == "b" ? "block" : "char"
            let path: String?
            switch (r.major, r.minor) {
            case (nil, _): path = kind + "-*"
            case (let major?, nil): path = deviceName(r.type, major).map { kind + "-" + $0 }
            case (let major?, let minor?): path = knownNodes["\(r.type) \(major):\(minor)"] ?? "/dev/\(kind)/\(major):\(minor)"
            }
            if let path { allow.append(.init(path: path, value: r.access)) }
        }
        return [SystemdProperty("DevicePolicy", .string("strict")), SystemdProperty("DeviceAllow", .pathStrings(allow))]
    }

    /// The nodes of Docker's default devices (systemd resolves a node path with stat).
    static let knownNodes: [String: String] = [
        "c 1:3": "/dev/null", "c 1:5": "/dev/zero", "c 1:7": "/dev/full", "c 1:8": "/dev/random",
        "c 1:9": "/dev/urandom", "c 5:0": "/dev/tty", "c 5:1": "/dev/console", "c 5:2": "/dev/ptmx",
        "c 10:200": "/dev/net/tun",
    ]

    /// "0-2,4" -> bitmask bytes (bit n = CPU n), as systemd's AllowedCPUs takes it; nil when the
    /// list does not parse.
    public static func cpuMask(_ list: String) -> [UInt8]? {
        guard let bits = CgroupLimits.cpusetMembers(list), let top = bits.max(), top < 8192 else { return nil }
        var mask = [UInt8](repeating: 0, count: top / 8 + 1)
        for b in bits { mask[b / 8] |= UInt8(1) << UInt8(b % 8) }
        return mask
    }

    /// /proc/devices' name for a major number ("Character devices:" or "Block devices:").
    public static func deviceName(in procDevices: String, type: String, major: Int64) -> String? {
        var section = ""
        for line in procDevices.split(separator: "\n") {
            if line.hasSuffix(":") { section = line.hasPrefix("Character") ? "c" : "b"; continue }
            let f = line.split(separator: " ")
            if section == type, f.count == 2, Int64(f[0]) == major { return String(f[1]) }
        }
        return nil
    }
}
