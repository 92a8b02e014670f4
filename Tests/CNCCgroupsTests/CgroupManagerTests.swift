import CNCCgroups
import CNCCore
import CNCSystem
import Testing

/// Runs the real v1 and v2 writers against fixture trees (temp dirs shaped like cgroupfs).
@Suite struct CgroupManagerFixtureTests {
    static func tempDir() throws -> String {
        let d = "/tmp/cnc-cgtest-\(ContainerID.random().short)"
        try FileSystem.createDirectory(d)
        return d
    }

    static func read(_ p: String) -> String { ((try? FileSystem.readText(p)) ?? "<missing>").trimmingSpaces }

    static var limits: CgroupLimits {
        var l = CgroupLimits()
        l.cpuQuota = 50_000
        l.cpuPeriod = 100_000
        l.cpuShares = 512
        l.cpusetCpus = "0"
        l.memory = 64 << 20
        l.memoryReservation = 32 << 20
        l.memorySwap = 128 << 20
        l.pids = 20
        l.blkioWeight = 500
        l.blkioThrottles = [BlkioThrottle(kind: .readBps, major: 8, minor: 0, rate: 1_048_576),
                            BlkioThrottle(kind: .writeIOps, major: 8, minor: 0, rate: 100)]
        return l
    }

    @Test func v2WritesUnifiedFiles() throws {
        let root = try Self.tempDir()
        defer { try? FileSystem.removeTree(root) }
        try FileSystem.writeValue("cpuset cpu io memory hugetlb pids", to: root + "/cgroup.controllers")
        try FileSystem.writeValue("", to: root + "/cgroup.subtree_control")
        let m = CgroupfsV2(mountPoint: root)
        // The fixture's intermediate level needs its own controllers file.
        try FileSystem.createDirectory(root + "/cnc")
        try FileSystem.writeValue("cpuset cpu io memory pids", to: root + "/cnc/cgroup.controllers")
        try m.create("cnc/c1", limits: Self.limits)
        let d = root + "/cnc/c1"
        #expect(Self.read(root + "/cgroup.subtree_control") == "+cpuset +cpu +memory +pids +io")
        #expect(Self.read(d + "/cpu.max") == "50000 100000")
        #expect(Self.read(d + "/cpu.weight") == "\(CgroupLimits.weight(fromShares: 512))")
        #expect(Self.read(d + "/cpuset.cpus") == "0")
        #expect(Self.read(d + "/memory.max") == "\(64 << 20)")
        #expect(Self.read(d + "/memory.low") == "\(32 << 20)")
        #expect(Self.read(d + "/memory.swap.max") == "\(64 << 20)")
        #expect(Self.read(d + "/memory.oom.group") == "1")
        #expect(Self.read(d + "/pids.max") == "20")
        #expect(Self.read(d + "/io.weight") == "default \(CgroupLimits.ioWeight(fromBlkio: 500))")
        #expect(Self.read(d + "/io.max") == "8:0 rbps=1048576 wiops=100")
        var u = CgroupLimits()
        u.cpuQuota = -1
        u.memory = 0
        u.pids = 0
        try m.update("cnc/c1", limits: u)
        #expect(Self.read(d + "/cpu.max") == "max 100000")
        #expect(Self.read(d + "/memory.max") == "max")
        #expect(Self.read(d + "/pids.max") == "max")
        #expect(m.procsFiles("cnc/c1") == [d + "/cgroup.procs"])
        #expect(m.oomCounter("cnc/c1")?.file == d + "/memory.events")
        try FileSystem.writeValue("usage_usec 1500\n", to: d + "/cpu.stat")
        try FileSystem.writeValue("4096\n", to: d + "/memory.current")
        try FileSystem.writeValue("8:0 rbytes=10 wbytes=20 rios=1 wios=2\n", to: d + "/io.stat")
        let s = try m.stats("cnc/c1")
        #expect(s.cpuUsageNanos == 1_500_000)
        #expect(s.memoryUsage == 4096)
        #expect(s.blockRead == 10 && s.blockWrite == 20)
    }

    @Test func v2RefusesOOMKillDisable() throws {
        let root = try Self.tempDir()
        defer { try? FileSystem.removeTree(root) }
        var l = CgroupLimits()
        l.oomKillDisable = true
        #expect(throws: CNCError.self) { try CgroupfsV2(mountPoint: root).create("cnc/c2", limits: l) }
    }

    @Test(arguments: [false, true]) func v1WritesPerHierarchy(comounted: Bool) throws {
        let root = try Self.tempDir()
        defer { try? FileSystem.removeTree(root) }
        var mountinfo = ""
        let hierarchies = comounted ? ["cpu,cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"]
                                    : ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"]
        for (i, h) in hierarchies.enumerated() {
            try FileSystem.createDirectory(root + "/" + h)
            mountinfo += "\(30 + i) 20 0:\(40 + i) / \(root)/\(h) rw - cgroup cgroup rw,\(h)\n"
        }
        try FileSystem.writeValue("0-1", to: root + "/cpuset/cpuset.cpus")
        try FileSystem.writeValue("0", to: root + "/cpuset/cpuset.mems")
        let layout = CgroupLayout.discover(mountinfo: mountinfo) { _ in nil }
        let m = CgroupfsV1(layout: layout)
        var l = Self.limits
        l.cpusetCpus = nil
        l.oomKillDisable = true
        try m.create("cnc/c1", limits: l)
        let cpu = root + "/" + (comounted ? "cpu,cpuacct" : "cpu") + "/cnc/c1"
        #expect(Self.read(cpu + "/cpu.cfs_quota_us") == "50000")
        #expect(Self.read(cpu + "/cpu.cfs_period_us") == "100000")
        #expect(Self.read(cpu + "/cpu.shares") == "512")
        #expect(Self.read(root + "/cpuset/cnc/cpuset.cpus") == "0-1")
        #expect(Self.read(root + "/cpuset/cnc/c1/cpuset.mems") == "0")
        #expect(Self.read(root + "/memory/cnc/c1/memory.limit_in_bytes") == "\(64 << 20)")
        #expect(Self.read(root + "/memory/cnc/c1/memory.memsw.limit_in_bytes") == "\(128 << 20)")
        #expect(Self.read(root + "/memory/cnc/c1/memory.soft_limit_in_bytes") == "\(32 << 20)")
        #expect(Self.read(root + "/memory/cnc/c1/memory.oom_control") == "1")
        #expect(Self.read(root + "/pids/cnc/c1/pids.max") == "20")
        #expect(Self.read(root + "/blkio/cnc/c1/blkio.weight") == "500")
        #expect(Self.read(root + "/blkio/cnc/c1/blkio.throttle.read_bps_device") == "8:0 1048576")
        // The last devices.allow write is the last default rule.
        #expect(Self.read(root + "/devices/cnc/c1/devices.deny") == "a")
        #expect(Self.read(root + "/devices/cnc/c1/devices.allow") == "c 10:200 rwm")
        #expect(m.procsFiles("cnc/c1").count == hierarchies.count)
        var u = CgroupLimits()
        u.cpuQuota = 10_000
        try m.update("cnc/c1", limits: u)
        #expect(Self.read(cpu + "/cpu.cfs_quota_us") == "10000")
        try m.freeze("cnc/c1")
        #expect(m.isFrozen("cnc/c1"))
    }

    @Test(arguments: ["", "/abs", "a/../b", "a//b", "."])
    func rejectsBadPaths(path: String) {
        #expect(throws: CNCError.self) { try CgroupManagers.validate(path) }
    }

    @Test(arguments: [("c 1:3 rwm", "c 1:3 rwm"), ("b *:* m", "b *:* m"), ("a", "a")])
    func parsesDeviceRules(text: String, rendered: String) throws {
        #expect(try DeviceRule(parsing: text).description == rendered)
    }

    @Test(arguments: [(Int64(2), Int64(1)), (1024, 39), (262_144, 10000)])
    func sharesToWeight(shares: Int64, weight: Int64) {
        #expect(CgroupLimits.weight(fromShares: shares) == weight)
    }
}
