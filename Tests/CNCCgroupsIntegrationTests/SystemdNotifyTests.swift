import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// `cnc run -d --sdnotify=monitor` as the main process of a Type=notify unit inside a real
/// systemd: the unit becomes active once the container runs, with the container's monitor as
/// its main pid; `ignore` never says ready (the start times out); bad values are refused.
@Suite(.serialized) struct SystemdNotifyTests {
    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func notifyServiceBecomesActiveWithTheMonitorAsMainPID() throws {
        let s = try SystemdCNC("cnc-systemd-notify")
        s.cleanup = [[SystemdCNC.bin + "/cnc", "--root", s.root, "rm", "-f", "svc", "quiet"]]
        defer { s.stop() }
        func unit(_ name: String, _ mode: String) throws {
            // DefaultDependencies=no: the harness shares the host's filesystems (no sysinit).
            let text = """
            [Unit]
            DefaultDependencies=no
            [Service]
            Type=notify
            TimeoutStartSec=3
            Environment=CNC_ROOT=\(s.root)
            ExecStart=\(SystemdCNC.bin)/cnc run -d --name \(name) --sdnotify=\(mode) --network none --rootfs \(s.rootfs) busybox sleep 1000

            """
            try FileSystem.writeAtomically(text, to: s.tmp.path + "/cnc-\(name).service")
            #expect(try s.h.exec(["/bin/cp", s.tmp.path + "/cnc-\(name).service", "/run/systemd/system/"]).status == 0)
        }
        try unit("svc", "monitor")
        try unit("quiet", "ignore")
        #expect(try s.h.exec(["systemctl", "daemon-reload"]).status == 0)

        let started = try s.h.exec(["systemctl", "start", "cnc-svc.service"])
        #expect(started.status == 0, "\(started.err)")
        let p = try s.h.show("cnc-svc.service", ["ActiveState", "MainPID"])
        #expect(p["ActiveState"] == "active", "\(p)")
        let initPid = try s.cnc(["inspect", "-f", "{{.State.Pid}}", "svc"]).out.trimmingSpaces
        let monitor = try s.h.exec(["/bin/sh", "-c", "awk '/^PPid:/ {print $2}' /proc/\(initPid)/status"]).out.trimmingSpaces
        #expect(!monitor.isEmpty && p["MainPID"] == monitor, "MainPID \(p["MainPID"] ?? "-") vs monitor \(monitor)")

        // ignore: no READY; the CLI exits first, so the start fails ("protocol").
        let quiet = try s.h.exec(["systemctl", "start", "cnc-quiet.service"])
        #expect(quiet.status != 0)
        let q = try s.h.show("cnc-quiet.service", ["Result", "ActiveState"])
        #expect(q["ActiveState"] != "active" && q["Result"] != "success", "\(q)")

        let bad = try s.cnc(["run", "--rm", "--sdnotify", "later", "--network", "none", "--rootfs", s.rootfs, "busybox", "true"])
        #expect(bad.status == 125 && bad.err.contains("invalid argument \"later\" for \"--sdnotify\" flag"), "\(bad)")
        #expect(try s.h.exec(["systemctl", "stop", "cnc-svc.service"]).status == 0)
    }
}
