import CNCCgroups
import CNCCore
import Testing

@Suite struct CgroupLayoutTests {
    static let hybrid = """
    31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
    33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
    34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
    37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
    38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
    39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
    40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    """

    static let comounted = """
    25 18 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
    27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
    28 25 0:25 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
    29 25 0:26 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
    """

    static let unified = """
    35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
    """

    @Test func hybridHostLikeThisOne() {
        let layout = CgroupLayout.discover(mountinfo: Self.hybrid) { path in
            path == "/sys/fs/cgroup/unified/cgroup.controllers" ? "hugetlb\n" : nil
        }
        #expect(layout.mode == .hybrid)
        #expect(layout.unifiedMountPoint == "/sys/fs/cgroup/unified")
        #expect(layout.unifiedControllers == ["hugetlb"])
        #expect(layout.v1Hierarchy(for: "memory")?.mountPoint == "/sys/fs/cgroup/memory")
        #expect(layout.v1.first { $0.name == "systemd" }?.controllers == [])
        #expect(layout.missingControllers.isEmpty)
        #expect(layout.controllerPlacement["pids"] == .v1)
    }

    @Test func coMountedV1() {
        let layout = CgroupLayout.discover(mountinfo: Self.comounted) { _ in nil }
        #expect(layout.mode == .v1)
        #expect(layout.v1Hierarchy(for: "cpuacct")?.mountPoint == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(layout.v1Hierarchy(for: "cpu")?.controllers == ["cpu", "cpuacct"])
        #expect(layout.missingControllers == ["cpuset", "blkio", "devices", "freezer"])
    }

    @Test func pureV2() {
        let layout = CgroupLayout.discover(mountinfo: Self.unified) { path in
            path == "/sys/fs/cgroup/cgroup.controllers" ? "cpuset cpu io memory hugetlb pids rdma misc\n" : nil
        }
        #expect(layout.mode == .v2)
        #expect(layout.v1.isEmpty)
        #expect(layout.controllerPlacement["memory"] == .v2)
        #expect(layout.missingControllers.isEmpty)
    }

    @Test func noCgroups() {
        #expect(CgroupLayout.discover(mountinfo: "garbage line\n\n1 2 3") { _ in nil }.mode == .none)
    }

    @Test func driverChoice() throws {
        let busOK: () -> String? = { nil }
        let s = CgroupDriverChoice.resolve(.auto, source: "default", pid1Command: "systemd", busProblem: busOK)
        #expect(s == CgroupDriverChoice(driver: .systemd, reason: "auto: PID 1 is systemd and its bus answers"))
        let dead = CgroupDriverChoice.resolve(.auto, source: "default", pid1Command: "systemd", busProblem: { "connection refused" })
        #expect(dead == CgroupDriverChoice(driver: .cgroupfs, reason: "auto: PID 1 is systemd but its bus does not answer (connection refused)"))
        var asked = false
        let c = CgroupDriverChoice.resolve(.auto, source: "default", pid1Command: "process_api", busProblem: { asked = true; return nil })
        #expect(c == CgroupDriverChoice(driver: .cgroupfs, reason: "auto: PID 1 is not systemd (it is \"process_api\")"))
        #expect(!asked, "no bus probe when PID 1 is not systemd")
        let named = CgroupDriverChoice.resolve(.systemd, source: "--cgroup-manager systemd", pid1Command: "init", busProblem: busOK)
        #expect(named == CgroupDriverChoice(driver: .systemd, reason: "asked for with --cgroup-manager systemd"))
        #expect(CgroupDriverChoice.resolve(.cgroupfs, source: "CNC_CGROUP_MANAGER=cgroupfs", pid1Command: "systemd", busProblem: busOK).driver == .cgroupfs)
        // auto keeps to the driver of the root's containers, without asking the bus; a named one does not.
        var probed = false
        let kept = CgroupDriverChoice.resolve(.auto, source: "auto", pid1Command: "systemd", recorded: (.cgroupfs, "/r"), busProblem: { probed = true; return nil })
        #expect(kept == CgroupDriverChoice(driver: .cgroupfs, reason: "auto: the containers of /r are managed by it") && !probed)
        #expect(CgroupDriverChoice.resolve(.systemd, source: "x", pid1Command: "systemd", recorded: (.cgroupfs, "/r"), busProblem: busOK).driver == .systemd)
        #expect(throws: CNCError.self) { try CgroupDriverRequest.parse("systemdd", source: "--cgroup-manager") }
        #expect(try CgroupDriverRequest.parse("auto", source: "--cgroup-manager") == .auto)
    }
}
