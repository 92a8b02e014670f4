import CNCCgroups
import CNCCore
import Testing

/// Rootless without delegated cgroups: limits are refused by name, never pretended.
struct UndelegatedCgroupsTests {
    let manager = UndelegatedCgroups(reason: "cgroup v1 is not delegated to unprivileged users")

    @Test func noLimitsMeansNothingToRefuse() throws {
        #expect(manager.refusal(CgroupLimits()) == nil)
        try manager.create("cnc/x", limits: CgroupLimits())
        // Device rules (what --device adds) are no limit a rootless container could escape.
        var devices = CgroupLimits()
        devices.deviceRules = [DeviceRule(type: "a", major: nil, minor: nil)]
        #expect(manager.refusal(devices) == nil)
        #expect(manager.procsFiles("cnc/x").isEmpty)
        #expect(!manager.exists("cnc/x"))
    }

    @Test func eachLimitIsNamed() throws {
        var l = CgroupLimits()
        l.memory = 10 << 20
        l.cpuQuota = 50_000
        l.pids = 20
        let e = try #require(manager.refusal(l))
        #expect(e.code == .unsupported)
        #expect(e.message == "cannot set limits without cgroups: rootless cnc cannot enforce --memory, --cpus, --pids-limit: "
            + "cgroup v1 is not delegated to unprivileged users (leave the limit out, or run cnc as root)")
        #expect(throws: CNCError.self) { try manager.create("cnc/x", limits: l) }
        #expect(throws: CNCError.self) { try manager.update("cnc/x", limits: l) }
        #expect(throws: CNCError.self) { try manager.freeze("cnc/x") }
    }

    @Test func aHostWithoutCgroupsSaysSo() {
        let layout = CgroupLayout.discover(mountinfo: "") { _ in nil }
        #expect(CgroupManagers.rootlessProblem(layout: layout) == "no cgroup file system is mounted")
    }
}
