@testable import CNCCgroups
import CNCCore
import CNCSystem
import Testing

@Suite struct SystemdScopeTests {
    @Test(arguments: [
        ("cnc/abc", "cnc.slice", "cnc-abc.scope", "cnc.slice/cnc-abc.scope"),
        ("web.slice/abc", "web.slice", "cnc-abc.scope", "web.slice/cnc-abc.scope"),
        ("a-b-c.slice/abc", "a-b-c.slice", "cnc-abc.scope", "a.slice/a-b.slice/a-b-c.slice/cnc-abc.scope"),
    ])
    func scopeOfAPath(_ path: String, _ slice: String, _ unit: String, _ cgroup: String) throws {
        let s = try SystemdScope(path: path)
        #expect(s.slice == slice && s.unit == unit && s.cgroupPath == cgroup)
        #expect(s.ownSlice == (slice == "cnc.slice"))
    }

    @Test(arguments: ["docker/abc", "a/b/c", "-a.slice/x", "a--b.slice/x", "a-.slice/x", "x.slice/a b", "", "/cnc/x", "cnc/../x"])
    func refused(_ path: String) {
        #expect(throws: CNCError.self) { try SystemdScope(path: path) }
    }

    @Test func dockerWordingForABadParent() {
        #expect { try SystemdScope(path: "docker/abc") } throws: {
            ($0 as? CNCError)?.message == "cgroup-parent for systemd cgroup should be a valid slice named as \"xxx.slice\""
        }
    }
}

@Suite struct SystemdPropertiesTests {
    static func value(_ props: [SystemdProperty], _ name: String) -> SystemdValue? { props.first { $0.name == name }?.value }

    @Test func everyScopeCarriesThePeersSet() {
        let p = SystemdProperties.scope(slice: "cnc.slice", pid: 42, description: "cnc container x", unified: false)
        #expect(Self.value(p, "PIDs") == .uint32s([42]))
        #expect(Self.value(p, "Delegate") == .bool(true))
        #expect(Self.value(p, "DefaultDependencies") == .bool(false))
        #expect(Self.value(p, "Slice") == .string("cnc.slice"))
        #expect(Self.value(p, "BlockIOAccounting") == .bool(true) && Self.value(p, "IOAccounting") == nil)
        #expect(Self.value(SystemdProperties.scope(slice: "s.slice", pid: 1, description: "", unified: true), "IOAccounting") == .bool(true))
    }

    @Test func limitsAsProperties() {
        var l = CgroupLimits()
        l.memory = 64 << 20
        l.memoryReservation = 32 << 20
        l.memorySwap = 96 << 20
        l.cpuQuota = 25_000
        l.cpuPeriod = 50_000
        l.cpuShares = 512
        l.pids = 20
        l.cpusetCpus = "0-2,9"
        l.blkioWeight = 300
        l.blkioThrottles = [BlkioThrottle(kind: .readBps, major: 8, minor: 0, rate: 1_048_576), BlkioThrottle(kind: .writeIOps, major: 8, minor: 0, rate: 10)]
        let v1 = SystemdProperties.limits(l, unified: false)
        #expect(Self.value(v1, "MemoryMax") == .uint64(64 << 20))
        #expect(Self.value(v1, "MemoryLow") == .uint64(32 << 20))
        #expect(Self.value(v1, "MemorySwapMax") == .uint64(32 << 20), "systemd's swap is swap alone")
        #expect(Self.value(v1, "CPUQuotaPeriodUSec") == .uint64(50_000))
        #expect(Self.value(v1, "CPUQuotaPerSecUSec") == .uint64(500_000))
        #expect(Self.value(v1, "CPUShares") == .uint64(512) && Self.value(v1, "CPUWeight") == nil)
        #expect(Self.value(v1, "TasksMax") == .uint64(20))
        #expect(Self.value(v1, "AllowedCPUs") == .bytes([0b0000_0111, 0b0000_0010]))
        #expect(Self.value(v1, "BlockIOWeight") == .uint64(300))
        #expect(Self.value(v1, "BlockIOReadBandwidth") == .pathNumbers([.init(path: "/dev/block/8:0", value: 1_048_576)]))
        #expect(Self.value(v1, "IOWriteIOPSMax") == nil, "v1 IOPS throttles are written by hand")
        let v2 = SystemdProperties.limits(l, unified: true)
        #expect(Self.value(v2, "CPUWeight") == .uint64(UInt64(CgroupLimits.weight(fromShares: 512))))
        #expect(Self.value(v2, "IOWeight") == .uint64(UInt64(CgroupLimits.ioWeight(fromBlkio: 300))))
        #expect(Self.value(v2, "IOWriteIOPSMax") == .pathNumbers([.init(path: "/dev/block/8:0", value: 10)]))
    }

    @Test func unlimitedIsInfinityAndAbsentSendsNothing() {
        var l = CgroupLimits()
        l.memory = CgroupLimits.unlimited
        l.pids = 0
        l.cpuQuota = -1
        let p = SystemdProperties.limits(l, unified: false)
        #expect(Self.value(p, "MemoryMax") == .infinity && Self.value(p, "TasksMax") == .infinity)
        #expect(Self.value(p, "CPUQuotaPerSecUSec") == .infinity)
        #expect(Self.value(p, "MemorySwapMax") == .infinity, "removing memory removes swap")
        #expect(SystemdProperties.limits(CgroupLimits(), unified: false).isEmpty)
    }

    @Test func devicesAsSystemdNamesThem() {
        var l = CgroupLimits()
        l.deviceRules = [DeviceRule(type: "c", major: 10, minor: 229, access: "rw")]
        let p = SystemdProperties.limits(l, unified: false) { type, major in type == "c" && major == 136 ? "pts" : nil }
        #expect(Self.value(p, "DevicePolicy") == .string("strict"))
        guard case .pathStrings(let allow) = Self.value(p, "DeviceAllow") else { Issue.record("no DeviceAllow"); return }
        #expect(allow.contains(.init(path: "char-*", value: "m")) && allow.contains(.init(path: "block-*", value: "m")))
        #expect(allow.contains(.init(path: "/dev/null", value: "rwm")) && allow.contains(.init(path: "char-pts", value: "rwm")))
        #expect(allow.contains(.init(path: "/dev/char/10:229", value: "rw")))
        l.deviceRules = [DeviceRule(type: "a", major: nil, minor: nil)]
        #expect(SystemdProperties.limits(l, unified: false) == [SystemdProperty("DevicePolicy", .string("auto"))])
    }

    @Test func procDevicesNames() {
        let text = "Character devices:\n  1 mem\n136 pts\n\nBlock devices:\n  8 sd\n"
        #expect(SystemdProperties.deviceName(in: text, type: "c", major: 136) == "pts")
        #expect(SystemdProperties.deviceName(in: text, type: "b", major: 8) == "sd")
        #expect(SystemdProperties.deviceName(in: text, type: "b", major: 136) == nil)
    }

    @Test func cpuMasks() {
        #expect(SystemdProperties.cpuMask("0") == [1])
        #expect(SystemdProperties.cpuMask("8") == [0, 1])
        #expect(SystemdProperties.cpuMask("x") == nil && SystemdProperties.cpuMask("3-1") == nil)
    }
}

/// How a property list goes on the wire to StartTransientUnit / SetUnitProperties (`a(sv)`).
@Suite struct SystemdPropertyWireTests {
    func u32(_ b: [UInt8], _ at: Int) -> UInt32 { b[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }

    @Test func aDeviceBandwidthIsAnArrayOfStructsOfStringAndUInt64() throws {
        var w = DBusWriter()
        SystemdBus.appendProperties(&w, [SystemdProperty("IOReadBandwidthMax", .pathNumbers([.init(path: "/dev/sda", value: 5)]))])
        let b = w.bytes
        #expect(b.count == 72)
        #expect(u32(b, 0) == 64)            // the outer array, from its first struct at 8
        #expect(u32(b, 8) == 18 && String(decoding: b[12..<30], as: UTF8.self) == "IOReadBandwidthMax")
        #expect(b[31] == 5 && String(decoding: b[32..<37], as: UTF8.self) == "a(st)")
        #expect(u32(b, 40) == 24)           // the inner array, from its struct at 48
        #expect(u32(b, 48) == 8 && String(decoding: b[52..<60], as: UTF8.self) == "/dev/sda")
        #expect(b[64] == 5 && b[65..<72].allSatisfy { $0 == 0 })
    }

    @Test func pidsAreAnArrayOfUInt32() throws {
        var w = DBusWriter()
        SystemdBus.appendValue(&w, .uint32s([7, 9]))
        #expect(w.bytes == [2, 97, 117, 0, 8, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0])
    }
}
