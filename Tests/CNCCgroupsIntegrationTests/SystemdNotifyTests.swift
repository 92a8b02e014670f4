import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// `cnc run -d --sdnotify=monitor` as the main process of a Type=notify unit inside a real
/// systemd: the unit becomes active once the container runs, with the container's monitor as
/// its main pid; `ignore` never says ready (the start times out); bad values are refused.
/// `--sdnotify=container`: the unit stays activating until the container itself says READY=1
/// (a static sd_notify helper compiled here), with its STATUS= relayed and its MAINPID= not.
@Suite(.serialized) struct SystemdNotifyTests {
    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func notifyServiceBecomesActiveWithTheMonitorAsMainPID() throws {
        let s = try SystemdCNC("cnc-systemd-notify")
        s.cleanup = [[SystemdCNC.bin + "/cnc", "--root", s.root, "rm", "-f", "svc", "quiet"]]
        defer { s.stop() }
        func unit(_ name: String, _ mode: String) throws {
            try Self.installNotifyUnit(s, name, timeout: 3, "--sdnotify=\(mode) --network none --rootfs \(s.rootfs) busybox sleep 1000")
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

    @Test(.enabled(if: SystemdCNC.canRun && SdNotifyHelper.hasToolchain, "\(SystemdCNC.skipReason); needs gcc and libc6-dev"))
    func containerModeRelaysTheContainersOwnReady() throws {
        let s = try SystemdCNC("cnc-systemd-notify-ctr")
        s.cleanup = [[SystemdCNC.bin + "/cnc", "--root", s.root, "rm", "-f", "ready"]]
        defer { s.stop() }
        let cc = try SdNotifyHelper.compile(to: s.rootfs + "/bin/sd-notify", scratch: s.tmp.path)
        #expect(cc.status == 0, "\(cc.err)")
        let gate = try s.tmp.sub("gate")
        // The container waits for the test's go-ahead, then tries to move the unit to its own
        // pid 1 and says it is ready.
        let script = "while [ ! -e /gate/go ]; do sleep 0.05; done; sd-notify MAINPID=1 STATUS=warmed-up READY=1 && exec sleep 1000"
        try Self.installNotifyUnit(s, "ready", timeout: 60,
                                   "--sdnotify=container --network none -v \(gate):/gate --rootfs \(s.rootfs) busybox sh -c \"\(script)\"")
        #expect(try s.h.exec(["systemctl", "daemon-reload"]).status == 0)
        #expect(try s.h.exec(["systemctl", "start", "--no-block", "cnc-ready.service"]).status == 0)

        // The container runs (its monitor is the main pid), the unit still waits for it.
        var running = ""
        for _ in 0..<600 where running != "true" {
            running = (try? s.cnc(["inspect", "-f", "{{.State.Running}}", "ready"]).out.trimmingSpaces) ?? ""
            if running != "true" { Processes.sleep(milliseconds: 50) }
        }
        #expect(running == "true")
        let initPid = try s.cnc(["inspect", "-f", "{{.State.Pid}}", "ready"]).out.trimmingSpaces
        let monitor = try s.h.exec(["/bin/sh", "-c", "awk '/^PPid:/ {print $2}' /proc/\(initPid)/status"]).out.trimmingSpaces
        let waiting = try s.h.show("cnc-ready.service", ["ActiveState", "MainPID"])
        #expect(waiting["ActiveState"] == "activating", "\(waiting)")
        #expect(!monitor.isEmpty && waiting["MainPID"] == monitor, "MainPID \(waiting["MainPID"] ?? "-") vs monitor \(monitor)")
        let env = try s.cnc(["exec", "ready", "sh", "-c", "tr '\\0' '\\n' < /proc/1/environ | grep NOTIFY_SOCKET"])
        #expect(env.out.trimmingSpaces == "NOTIFY_SOCKET=/run/notify/notify.sock", "\(env)")

        try FileSystem.writeAtomically("", to: gate + "/go")
        var p: [String: String] = [:]
        for _ in 0..<600 where p["ActiveState"] != "active" {
            p = try s.h.show("cnc-ready.service", ["ActiveState", "MainPID", "StatusText"])
            if p["ActiveState"] != "active" { Processes.sleep(milliseconds: 50) }
        }
        #expect(p["ActiveState"] == "active", "\(p)")
        #expect(p["StatusText"] == "warmed-up", "\(p)")
        #expect(p["MainPID"] == monitor, "the container's MAINPID=1 is not relayed: \(p)")

        // Not under a notify unit, as podman: the container gets no NOTIFY_SOCKET.
        let outside = try s.cnc(["run", "--rm", "--sdnotify=container", "--network", "none", "--rootfs", s.rootfs, "busybox",
                                 "sh", "-c", "echo ${NOTIFY_SOCKET:-none}"])
        #expect(outside.status == 0 && outside.out.trimmingSpaces == "none", "\(outside)")
        #expect(try s.h.exec(["systemctl", "stop", "cnc-ready.service"]).status == 0)
    }

    /// /run/systemd/system/cnc-NAME.service: a Type=notify unit whose main process is
    /// `cnc run -d --name NAME ARGS`. DefaultDependencies=no: the harness shares the host's
    /// filesystems (no sysinit).
    static func installNotifyUnit(_ s: SystemdCNC, _ name: String, timeout: Int, _ args: String) throws {
        let text = """
        [Unit]
        DefaultDependencies=no
        [Service]
        Type=notify
        TimeoutStartSec=\(timeout)
        Environment=CNC_ROOT=\(s.root)
        ExecStart=\(SystemdCNC.bin)/cnc run -d --name \(name) \(args)

        """
        try FileSystem.writeAtomically(text, to: s.tmp.path + "/cnc-\(name).service")
        #expect(try s.h.exec(["/bin/cp", s.tmp.path + "/cnc-\(name).service", "/run/systemd/system/"]).status == 0)
    }
}
