import Foundation
import Testing

/// A `cnc run` whose start fails on the host's side (its cgroup, its network), before any
/// workload exists, leaves nothing behind: no container, no ID on stdout (issue 16: a rootless
/// run whose scope could not be made printed the ID after the error and left it created). A
/// container the user created with `cnc create` stays when `cnc start` fails, as docker's.
@Suite(.serialized) struct FailedRunTests {
    /// A cgroup parent where no cgroup can be made (a cgroup's interface file, so mkdir fails in
    /// every hierarchy): the cgroup fails at start, not at create. (A cpuset the host lacks no
    /// longer gets that far: run and create refuse it first, in docker's words.)
    static let badParent = ["--cgroup-parent", "/cgroup.procs"]

    @Test func aRunWhoseCgroupCannotBeMadeLeavesNoContainer() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        for detach in [true, false] {
            let r = try h.run((detach ? ["-d"] : []) + ["--network", "none"] + Self.badParent, ["sleep", "100"])
            #expect(r.status == 125, "\(r.err)")
            #expect(r.err.hasPrefix("Error: failed to create cgroup cgroup.procs/") && r.err.contains("mkdir"), "\(r.err)")
            #expect(r.out == "", "printed \(r.out) after a failed start")
            #expect(try h.cnc(["ps", "-a", "-q"]).out == "", "detach \(detach): a container was left behind")
        }
        let created = try h.cnc(["create", "--name", "kept", "--network", "none"] + Self.badParent + [
                                 "--rootfs", CNCHarness.rootfs, "busybox", "true"])
        #expect(created.status == 0, "\(created.err)")
        #expect(try h.cnc(["start", "kept"]).err.contains("failed to create cgroup"))
        #expect(try h.inspect("kept", "{{.State.Status}}") == "created")
    }
}
