import CNCCgroups
import CNCCore
import Foundation
import Testing

/// Rootless cgroups: the decision between "no cgroups" and "the systemd driver on the user's
/// manager" against fixture cgroup trees (files in a temp dir standing for /sys/fs/cgroup and
/// $XDG_RUNTIME_DIR), and the refusal of limits whose controller is not delegated. No real
/// cgroup v2 host with a user session is available: this is the unit tier only.
struct RootlessCgroupsTests {
    /// A fixture: `files` (path under the temp dir -> text) written for real, read back through
    /// the decision's closures; `sockets` exist as empty files.
    final class Tree {
        let dir: String
        init(_ files: [String: String]) throws {
            dir = NSTemporaryDirectory() + "cnc-rlcg-" + UUID().uuidString
            for (path, text) in files {
                let full = dir + path
                try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: full, atomically: true, encoding: .utf8)
            }
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func layout(v2: Bool) -> CgroupLayout {
            let info = v2 ? "35 24 0:30 / \(dir)/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
                : "31 24 0:27 / \(dir)/cgroup/memory rw - cgroup cgroup rw,memory\n41 31 0:38 / \(dir)/cgroup/unified rw - cgroup2 cgroup2 rw\n"
            return CgroupLayout.discover(mountinfo: info) { try? String(contentsOfFile: $0, encoding: .utf8) }
        }

        func decide(v2: Bool = true, uid: UInt32 = 1000, procSelfCgroup: String = "0::/user.slice/user-1000.slice/session-3.scope\n",
                    xdg: String? = "/xdg") -> RootlessCgroups.Decision {
            RootlessCgroups.decide(layout: layout(v2: v2), uid: uid, procSelfCgroup: procSelfCgroup, xdgRuntimeDir: xdg.map { dir + $0 },
                                   read: { try? String(contentsOfFile: $0, encoding: .utf8) },
                                   exists: { FileManager.default.fileExists(atPath: $0) })
        }
    }

    static let manager = "/user.slice/user-1000.slice/user@1000.service"

    @Test func v2WithADelegatedUserManagerAndItsBusUsesTheSystemdDriver() throws {
        let t = try Tree(["/cgroup/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
                          "/cgroup" + Self.manager + "/cgroup.controllers": "cpu memory pids\n", "/xdg/bus": ""])
        #expect(t.decide() == .delegated(controllers: ["cpu", "memory", "pids"], bus: "unix:path=\(t.dir)/xdg/bus", base: Self.manager))
    }

    @Test func systemdPrivateSocketServesWhenThereIsNoBus() throws {
        let t = try Tree(["/cgroup" + Self.manager + "/cgroup.controllers": "memory pids\n", "/xdg/systemd/private": ""])
        #expect(t.decide() == .delegated(controllers: ["memory", "pids"], bus: "unix:path=\(t.dir)/xdg/systemd/private", base: Self.manager))
    }

    /// Both sockets: the manager's own, as `systemctl --user` picks it (no bus daemon between).
    @Test func theManagersPrivateSocketIsPreferredToTheBus() throws {
        let t = try Tree(["/cgroup" + Self.manager + "/cgroup.controllers": "memory pids\n", "/xdg/bus": "", "/xdg/systemd/private": ""])
        #expect(t.decide() == .delegated(controllers: ["memory", "pids"], bus: "unix:path=\(t.dir)/xdg/systemd/private", base: Self.manager))
    }

    @Test func theProcessOwnCgroupCountsWhenTheManagersIsNotThere() throws {
        // e.g. a container given a delegated cgroup namespace: /proc/self/cgroup says "0::/".
        let t = try Tree(["/cgroup/cgroup.controllers": "memory pids\n", "/xdg/bus": ""])
        #expect(t.decide(procSelfCgroup: "0::/\n") == .delegated(controllers: ["memory", "pids"], bus: "unix:path=\(t.dir)/xdg/bus", base: ""))
    }

    @Test func withoutDelegationOrASessionThereAreNoCgroupsAndTheReasonSaysWhich() throws {
        let v1 = try Tree(["/xdg/bus": ""])
        #expect(v1.decide(v2: false) == .undelegated(reason: "cgroup v1 is not delegated to unprivileged users"))

        let noManager = try Tree(["/xdg/bus": ""])
        #expect(noManager.decide() == .undelegated(reason: "cgroup v2 is not delegated to uid 1000 (no \(noManager.dir)/cgroup\(Self.manager)/cgroup.controllers: no systemd user manager)"))

        let empty = try Tree(["/cgroup" + Self.manager + "/cgroup.controllers": "\n", "/xdg/bus": ""])
        #expect(empty.decide() == .undelegated(reason: "cgroup v2 delegates no controller to uid 1000 (\(empty.dir)/cgroup\(Self.manager)/cgroup.controllers is empty; "
            + "systemd's Delegate= for user@.service names them)"))

        let noBus = try Tree(["/cgroup" + Self.manager + "/cgroup.controllers": "cpu memory pids\n"])
        let noSession = RootlessCgroups.Decision.undelegated(reason: "cgroup v2 is delegated to uid 1000 but there is no systemd user session to make scopes "
            + "through (no $XDG_RUNTIME_DIR/bus or $XDG_RUNTIME_DIR/systemd/private)")
        #expect(noBus.decide() == noSession)
        #expect(noBus.decide(xdg: nil) == noSession)
        // A login session's scope lists controllers, but it is root's, not delegated.
        let session = try Tree(["/cgroup/user.slice/user-1000.slice/session-3.scope/cgroup.controllers": "cpu memory pids\n", "/xdg/bus": ""])
        #expect(session.decide() == .undelegated(reason: "cgroup v2 is not delegated to uid 1000 (no \(session.dir)/cgroup\(Self.manager)/cgroup.controllers: no systemd user manager)"))
        // Another user's manager is not ours.
        #expect(noBus.decide(uid: 1001, procSelfCgroup: "0::/user.slice/user-1001.slice/session-4.scope\n")
                == .undelegated(reason: "cgroup v2 is not delegated to uid 1001 (no \(noBus.dir)/cgroup/user.slice/user-1001.slice/user@1001.service/cgroup.controllers: no systemd user manager)"))
    }

    @Test func onlyDelegatedControllersLimitsAreSetTheOthersAreRefusedByName() throws {
        let inner = UndelegatedCgroups(reason: "stand-in for the systemd driver")
        let m = DelegatedCgroups(inner: inner, controllers: ["cpu", "memory", "pids"], uid: 1000)
        var ok = CgroupLimits()
        ok.memory = 10 << 20
        ok.cpuQuota = 50_000
        ok.pids = 20
        #expect(m.refusal(ok) == nil)
        var l = ok
        l.cpusetCpus = "0"
        l.blkioWeight = 100
        let e = try #require(m.refusal(l))
        #expect(e.code == .unsupported)
        #expect(e.message == "rootless cnc cannot enforce --cpuset-cpus, --blkio-weight: the cpuset, io controllers are not delegated to uid 1000 "
            + "(delegated: cpu memory pids); leave the limit out, or delegate it (systemd's Delegate= for user@.service)")
        #expect(throws: CNCError.self) { try m.create("cnc/x", limits: l) }
        #expect(throws: CNCError.self) { try m.update("cnc/x", limits: l) }
        #expect(RootlessCgroups.unenforceable(l, controllers: ["cpu", "memory", "pids"]) == ["--cpuset-cpus", "--blkio-weight"])
        #expect(RootlessCgroups.unenforceableFlags(controllers: ["cpu", "memory", "pids"])
                == ["--cpuset-cpus", "--cpuset-mems", "--blkio-weight", "--device-read/write-bps/iops"])
        #expect(RootlessCgroups.unenforceableFlags(controllers: []) == UndelegatedCgroups.unenforceable)
    }
}
