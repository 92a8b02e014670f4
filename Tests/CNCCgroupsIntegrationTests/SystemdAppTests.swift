import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// cncapply under the systemd driver, inside a real systemd (SystemdHarness): an app applied,
/// a live limit update and a replacement seen by systemd, crashes (a monitor and an init
/// SIGKILLed) leaving no failed unit, and `down` leaving nothing `cnc-*`; and a root keeping
/// to its containers' driver when none is named.
@Suite(.serialized) struct SystemdAppTests {

    static func spec(memory: String, workerEnv: String) -> String {
        """
        name: sdapp
        x-cnc:
          cgroup_driver: systemd
        services:
          web:
            image: app:stable
            command: ["sleep", "1000"]
            network_mode: none
            stop_grace_period: 0s
            mem_limit: \(memory)
          worker:
            image: app:stable
            command: ["sleep", "1000"]
            network_mode: none
            stop_grace_period: 0s
            environment:
              MODE: \(workerEnv)

        """
    }

    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func appliedUpdatedCrashedAndDown() throws {
        let s = try SystemdCNC("cnc-systemd-app")
        s.cleanup = [[SystemdCNC.bin + "/cncapply", "--root", s.root, "down", "-p", "sdapp"]]
        defer { s.stop() }
        let h = s.h
        #expect(try run("/bin/tar", ["-C", s.rootfs, "-cf", s.tmp.path + "/rootfs.tar", "."]).status == 0)
        #expect(try s.cnc(["import", s.tmp.path + "/rootfs.tar", "app:stable"]).status == 0)
        let spec = s.tmp.path + "/app.yaml"
        func apply(_ memory: String, _ env: String) throws -> (status: Int32, out: String, err: String) {
            try Self.spec(memory: memory, workerEnv: env).write(toFile: spec, atomically: true, encoding: .utf8)
            return try s.cncapply(["-f", spec])
        }
        func cnc(_ args: [String]) throws -> String { try s.cnc(args).out.trimmingSpaces }
        func unit(_ service: String) throws -> String { "cnc-" + (try cnc(["inspect", "-f", "{{.Id}}", "sdapp-\(service)-1"])) + ".scope" }

        let first = try apply("64m", "a")
        #expect(first.status == 0, "\(first.err)")
        let web = try unit("web"), worker = try unit("worker")
        var p = try h.show(web, ["ActiveState", "Slice", "MemoryMax"])
        #expect(p["ActiveState"] == "active" && p["Slice"] == "cnc.slice" && p["MemoryMax"] == "67108864", "\(p)")
        #expect(try h.show(worker, ["ActiveState"])["ActiveState"] == "active")

        // A live limit update: the same scope, its property changed.
        let updated = try apply("128m", "a")
        #expect(updated.status == 0, "\(updated.err)")
        #expect(try unit("web") == web)
        p = try h.show(web, ["MemoryMax"])
        #expect(p["MemoryMax"] == "134217728", "\(p)")
        // A replacement: a new scope, the old one gone.
        let replaced = try apply("128m", "b")
        #expect(replaced.status == 0, "\(replaced.err)")
        let worker2 = try unit("worker")
        #expect(worker2 != worker)
        #expect(Set(try h.units("cnc-")) == [web, worker2])
        let status = try s.cncapply(["status", "-p", "sdapp"])
        #expect(status.status == 0 && status.out.contains("web") && status.out.contains("worker"), "\(status.out)\(status.err)")

        // Crashes: web's init and worker's monitor SIGKILLed. No unit ends failed.
        let webPid = try cnc(["inspect", "-f", "{{.State.Pid}}", "sdapp-web-1"])
        let workerPid = try cnc(["inspect", "-f", "{{.State.Pid}}", "sdapp-worker-1"])
        let monitor = try h.exec(["/bin/sh", "-c", "awk '/^PPid:/ {print $2}' /proc/\(workerPid)/status"]).out.trimmingSpaces
        #expect(!monitor.isEmpty && monitor != "0" && monitor != "1", "monitor of \(workerPid): \(monitor)")
        #expect(try h.exec(["/bin/kill", "-9", webPid, monitor]).status == 0)
        #expect(try cnc(["wait", "sdapp-web-1"]) == "137")
        let failed = try h.exec(["systemctl", "list-units", "--all", "--state=failed", "--no-legend", "--plain", "--no-pager", "cnc*"]).out
        #expect(failed.trimmingSpaces.isEmpty, "\(failed)")

        // down (no spec: the root's driver) leaves no cnc-* unit, and no process of the app.
        let down = try s.cncapply(["down", "-p", "sdapp"])
        #expect(down.status == 0, "\(down.err)")
        let left = try h.units("cnc-")
        #expect(left.isEmpty, "\(left)")
        #expect(try h.exec(["/bin/kill", "-0", workerPid]).status != 0, "worker's init \(workerPid) outlived down")
    }

    /// `auto` keeps to the driver of the root's containers: cgroupfs ones on a systemd host are
    /// removed through cgroupfs (nothing left in the hierarchy), and `cnc info` says why.
    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func autoKeepsToTheRootsDriver() throws {
        let s = try SystemdCNC("cnc-systemd-keep")
        s.cleanup = [[SystemdCNC.bin + "/cnc", "--root", s.root, "--cgroup-manager", "cgroupfs", "rm", "-f", "fs"]]
        defer { s.stop() }
        let h = s.h, root = s.root, rootfs = s.rootfs
        func cnc(_ args: [String]) throws -> (status: Int32, out: String, err: String) { try s.cnc(args) }
        let r = try cnc(["--cgroup-manager", "cgroupfs", "run", "-d", "--name", "fs", "--network", "none", "--rootfs", rootfs, "busybox", "sleep", "300"])
        #expect(r.status == 0, "\(r.err)")
        let id = r.out.trimmingSpaces
        let info = try cnc(["info"]).out
        #expect(info.contains("Cgroup driver:    cgroupfs (auto: the containers of \(root) are managed by it)"), "\(info)")
        let dir = "/sys/fs/cgroup/memory/cnc/" + id
        #expect(try h.exec(["/usr/bin/test", "-d", dir]).status == 0)
        // A second container with no driver named joins the root's driver instead of being refused.
        let second = try cnc(["run", "--rm", "--network", "none", "--rootfs", rootfs, "busybox", "sh", "-c", "grep memory /proc/self/cgroup"])
        #expect(second.status == 0 && second.out.contains(":memory:/cnc/"), "\(second.out)\(second.err)")
        #expect(try cnc(["rm", "-f", "fs"]).status == 0)
        #expect(try h.exec(["/usr/bin/test", "-d", dir]).status != 0, "\(dir) left behind")
        #expect(try h.units("cnc-").isEmpty)
    }
}
