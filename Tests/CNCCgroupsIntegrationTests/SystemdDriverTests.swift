import CNCCgroups
import CNCCore
import CNCSystem
import CNCSystemd
import CNCTestSupport
import Testing

/// The systemd driver against a real systemd: this host's PID 1 is not systemd, so the test
/// boots one in private namespaces (SystemdHarness) and runs this binary's `SystemdInside`
/// tests in there, where systemd's pids and cgroup paths are the test's own.
@Suite(.serialized) struct SystemdDriverTests {
    @Test(.enabled(if: SystemdHarness.isAvailable && !SystemdHarness.isInside, "\(SystemdHarness.unavailableReason ?? "runs outside")"))
    func contractAndScopesOnARealSystemd() throws {
        let harness = try SystemdHarness()
        defer { harness.stop() }
        print("systemd harness booted in \(harness.bootSeconds) s")
        let r = try harness.runTests(filter: "SystemdInside")
        #expect(r.status == 0, "inside the harness:\n\(r.out)\n\(r.err)")
        // Every check ran (none was skipped for want of systemd) and none failed.
        #expect(r.out.contains("passed") || r.err.contains("passed"), "\(r.out)\(r.err)")
        #expect(!(r.out + r.err).contains("skipped"), "\(r.out)\(r.err)")
        let left = try harness.units("cnc-")
        #expect(left.isEmpty, "cnc-* units left: \(left)")
        #expect(try harness.units("cnccontract").isEmpty)
    }
}

/// Runs only inside the harness (SystemdHarness.runTests sets the variable).
@Suite(.serialized, .enabled(if: SystemdHarness.isInside, "runs inside the systemd harness only")) struct SystemdInside {
    @Test(arguments: CgroupContract.checks)
    func contract(_ check: CgroupContractCheck) throws {
        try check.run(on: .systemdHere)
    }

    /// The same contract over the wire client (the static front's).
    @Test(arguments: CgroupContract.checks)
    func contractOverTheWireClient(_ check: CgroupContractCheck) throws {
        try check.run(on: .systemdHereWire)
    }

    static func systemctl(_ args: [String]) throws -> String {
        try run("systemctl", args + ["--no-pager"]).out
    }

    static func show(_ unit: String, _ props: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for line in try systemctl(["show", unit] + props.flatMap { ["-p", $0] }).split(separator: "\n") {
            let kv = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if kv.count == 2 { out[kv[0]] = kv[1] }
        }
        return out
    }

    static func file(_ hierarchy: String, _ scope: SystemdScope, _ name: String) -> String {
        ((try? FileSystem.readText("/sys/fs/cgroup/\(hierarchy)/\(scope.cgroupPath)/\(name)")) ?? "").trimmingSpaces
    }

    /// A scope's properties as `systemctl show` reports them, and the same limits in the v1
    /// files, including those systemd cannot write on v1 (soft limit, swap, cpuset).
    @Test func scopePropertiesAndFiles() throws {
        let m = try SystemdCgroupManager(layout: CgroupManagers.hostLayout(), bus: SDBusClient())
        let id = ContainerID.random()
        let path = "cnc/" + id.rawValue
        let scope = try SystemdScope(path: path)
        var l = CgroupLimits()
        l.memory = 64 << 20
        l.memoryReservation = 32 << 20
        l.memorySwap = 96 << 20
        l.cpuQuota = 50_000
        l.cpuPeriod = 100_000
        l.cpuShares = 512
        l.pids = 20
        l.cpusetCpus = "0"
        let pid = try Spawn.spawn("/bin/sleep", arguments: ["sleep", "600"], environment: [])
        defer { _ = try? Processes.signal(pid, 9); _ = try? Spawn.wait(pid) }
        try m.create(path, limits: l)
        try m.addProcess(pid, to: path)
        let p = try Self.show(scope.unit, ["ActiveState", "Slice", "Delegate", "MemoryMax", "MemoryLow", "TasksMax",
                                          "CPUQuotaPerSecUSec", "CPUShares", "Description", "ControlGroup", "MemoryAccounting"])
        #expect(p["ActiveState"] == "active")
        #expect(p["Slice"] == "cnc.slice")
        #expect(p["Delegate"] == "yes")
        #expect(p["MemoryMax"] == "\(64 << 20)")
        #expect(p["MemoryLow"] == "\(32 << 20)")
        #expect(p["TasksMax"] == "20")
        #expect(p["CPUQuotaPerSecUSec"] == "500ms")
        #expect(p["CPUShares"] == "512")
        #expect(p["MemoryAccounting"] == "yes")
        #expect(p["Description"] == "cnc container \(id.rawValue)")
        #expect(p["ControlGroup"] == "/" + scope.cgroupPath)
        #expect(Self.file("memory", scope, "memory.limit_in_bytes") == "\(64 << 20)")
        #expect(Self.file("memory", scope, "memory.soft_limit_in_bytes") == "\(32 << 20)")
        #expect(Self.file("memory", scope, "memory.memsw.limit_in_bytes") == "\(96 << 20)")
        #expect(Self.file("cpu", scope, "cpu.cfs_quota_us") == "50000")
        #expect(Self.file("cpu", scope, "cpu.shares") == "512")
        #expect(Self.file("pids", scope, "pids.max") == "20")
        #expect(Self.file("cpuset", scope, "cpuset.cpus") == "0")
        #expect(m.processes(path) == [pid])

        // A live update: the files first, then SetUnitProperties; a larger memory limit
        // reaches the kernel (swap raised first).
        var u = CgroupLimits()
        u.memory = 128 << 20
        u.memorySwap = 256 << 20
        u.pids = 30
        let t0 = Processes.monotonicNanos()
        try m.update(path, limits: u)
        print("live update took \(Double(Processes.monotonicNanos() - t0) / 1e6) ms")
        let q = try Self.show(scope.unit, ["MemoryMax", "TasksMax"])
        #expect(q["MemoryMax"] == "\(128 << 20)" && q["TasksMax"] == "30")
        #expect(Self.file("memory", scope, "memory.limit_in_bytes") == "\(128 << 20)")
        #expect(Self.file("memory", scope, "memory.memsw.limit_in_bytes") == "\(256 << 20)")
        #expect(Self.file("pids", scope, "pids.max") == "30")

        try m.remove(path)
        #expect(try Spawn.wait(pid) == .signaled(9))
        #expect(!m.exists(path))
        #expect(try Self.systemctl(["list-units", "--all", "--no-legend", "cnc-*"]).isEmpty)
        #expect(!FileSystem.isDirectory("/sys/fs/cgroup/cpuset/" + scope.cgroupPath), "cnc's own cpuset directory goes too")
        // The slice stays (as system.slice does), empty, for the next container.
        #expect(try Self.show("cnc.slice", ["ActiveState"])["ActiveState"] == "active")
        #expect(FileSystem.isDirectory("/sys/fs/cgroup/cpuset/cnc.slice"))
        #expect(((try? FileSystem.listDirectory("/sys/fs/cgroup/cpuset/cnc.slice")) ?? []).allSatisfy { !$0.hasSuffix(".scope") })
    }

    /// A start that systemd refuses names the unit, and leaves no unit behind.
    @Test func failedStartLeavesNothing() throws {
        let m = try SystemdCgroupManager(layout: CgroupManagers.hostLayout(), bus: SDBusClient())
        let path = "cnc/" + ContainerID.random().rawValue
        let unit = try SystemdScope(path: path).unit
        try m.create(path, limits: CgroupLimits())
        // A pid that does not exist.
        #expect { try m.addProcess(999_999, to: path) } throws: { "\($0)".contains(unit) }
        #expect(try Self.systemctl(["list-units", "--all", "--no-legend", "cnc-*"]).isEmpty)
    }

    /// A unit of the same name still there (a crashed run's) is stopped and the start retried.
    @Test func leftoverUnitIsReplaced() throws {
        let m = try SystemdCgroupManager(layout: CgroupManagers.hostLayout(), bus: SDBusClient())
        let path = "cnc/" + ContainerID.random().rawValue
        let a = try Spawn.spawn("/bin/sleep", arguments: ["sleep", "600"], environment: [])
        let b = try Spawn.spawn("/bin/sleep", arguments: ["sleep", "600"], environment: [])
        defer { for p in [a, b] { _ = try? Processes.signal(p, 9); _ = try? Spawn.wait(p) } }
        try m.create(path, limits: CgroupLimits())
        try m.addProcess(a, to: path)
        try m.create(path, limits: CgroupLimits())  // no remove: the old scope is still running
        try m.addProcess(b, to: path)
        #expect(m.processes(path) == [b])
        try m.remove(path)
        #expect(try Self.systemctl(["list-units", "--all", "--no-legend", "cnc-*"]).isEmpty)
    }

    @Test func cgroupParentMustBeASlice() throws {
        let m = try SystemdCgroupManager(layout: CgroupManagers.hostLayout(), bus: SDBusClient())
        #expect { try m.create("docker/abc", limits: CgroupLimits()) } throws: {
            "\($0)".contains("cgroup-parent for systemd cgroup should be a valid slice named as \"xxx.slice\"")
        }
    }
}
