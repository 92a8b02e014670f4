import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// `cncapply install-unit` and `cncapply apply --watch` as a Type=notify service inside a real
/// systemd (SystemdHarness): the unit written, started (active only after the first apply, with
/// STATUS= naming the revision), kept alive by WATCHDOG=1 under WatchdogSec=1, converging after
/// an edit of the spec, and leaving nothing `cnc-*` once stopped and disabled. `--user`: the
/// unit written into ~/.config/systemd/user, started by a user manager of root's booted in the
/// harness (its default target never: only a target of the test's), applying the app and
/// bringing it down; refused with "not supported yet" for a user other than root.
@Suite(.serialized) struct SystemdInstallUnitTests {
    static func spec(memory: String) -> String {
        """
        name: sdunit
        x-cnc:
          cgroup_driver: systemd
        services:
          web:
            image: app:stable
            command: ["sleep", "1000"]
            network_mode: none
            stop_grace_period: 0s
            mem_limit: \(memory)

        """
    }

    /// The app's image (app:stable, from the busybox rootfs) and its spec (64m): the spec's path.
    static func importImageAndWriteSpec(_ s: SystemdCNC) throws -> String {
        #expect(try run("/bin/tar", ["-C", s.rootfs, "-cf", s.tmp.path + "/rootfs.tar", "."]).status == 0)
        #expect(try s.cnc(["import", s.tmp.path + "/rootfs.tar", "app:stable"]).status == 0)
        let path = s.tmp.path + "/app.yaml"
        try spec(memory: "64m").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func installedUnitAppliesWatchesAndComesDown() throws {
        let s = try SystemdCNC("cnc-systemd-unit")
        s.cleanup = [["systemctl", "stop", "cncapply-sdunit.service"], [SystemdCNC.bin + "/cncapply", "--root", s.root, "down", "-p", "sdunit"]]
        defer { s.stop() }
        let h = s.h
        let spec = try Self.importImageAndWriteSpec(s)

        // Written into a directory as cncapply-NAME.service; --stdout prints the same text.
        let dir = try s.tmp.sub("units")
        let wrote = try s.cncapply(["install-unit", "-f", spec, "-o", dir])
        let path = dir + "/cncapply-sdunit.service"
        #expect(wrote.status == 0 && wrote.out.trimmingSpaces == path, "\(wrote)")
        #expect(wrote.err.contains("systemctl daemon-reload && systemctl enable --now cncapply-sdunit.service"), "\(wrote.err)")
        let text = try FileSystem.readText(path)
        #expect(text.contains("Type=notify") && text.contains("apply --watch --root \(s.root) -f \(spec)"), "\(text)")
        #expect(text.contains("ExecStop=\(SystemdCNC.bin)/cncapply down --root \(s.root) -f \(spec)"), "\(text)")
        let printed = try s.cncapply(["install-unit", "-p", "sdunit", "-f", spec, "--stdout"])
        #expect(printed.status == 0 && printed.out.contains("ExecStart=\(SystemdCNC.bin)/cncapply apply --watch"), "\(printed)")
        let bad = try s.cncapply(["install-unit", "-f", spec, "--stdout", "-o", dir])
        #expect(bad.status != 0 && bad.err.contains("--stdout and --output cannot be combined"), "\(bad)")

        // Into the harness's /run (the root filesystem is the host's): no default dependencies
        // and no network-online.target there; a watchdog of 1 s and a bounded start.
        let harnessText = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("network-online.target") }.joined(separator: "\n")
            .replacingOccurrences(of: "[Unit]\n", with: "[Unit]\nDefaultDependencies=no\n")
            .replacingOccurrences(of: "TimeoutStartSec=15min", with: "TimeoutStartSec=60\nWatchdogSec=1")
        try FileSystem.writeAtomically(harnessText, to: s.tmp.path + "/staged.service")
        #expect(try h.exec(["/bin/cp", s.tmp.path + "/staged.service", "/run/systemd/system/cncapply-sdunit.service"]).status == 0)
        #expect(try h.exec(["systemctl", "daemon-reload"]).status == 0)
        #expect(try h.exec(["systemctl", "enable", "--runtime", "cncapply-sdunit.service"]).status == 0)

        // Active only once READY=1 came, after the first apply: the container runs by then.
        let started = try h.exec(["systemctl", "start", "cncapply-sdunit.service"])
        #expect(started.status == 0, "\(started.err)")
        let id = try s.cnc(["inspect", "-f", "{{.Id}} {{.State.Status}}", "sdunit-web-1"]).out.trimmingSpaces
        #expect(id.hasSuffix(" running"), "\(id)")
        let scope = "cnc-" + (id.split(separator: " ").first.map(String.init) ?? "") + ".scope"
        #expect(try h.show(scope, ["MemoryMax"])["MemoryMax"] == "67108864")
        var p = try h.show("cncapply-sdunit.service", ["ActiveState", "StatusText", "MainPID"])
        #expect(p["ActiveState"] == "active" && p["StatusText"]?.hasPrefix("sdunit: revision 1 applied") == true, "\(p)")
        let mainPID = p["MainPID"]

        // Three watchdog periods later: still the same process, never restarted.
        Thread.sleep(forTimeInterval: 3)
        p = try h.show("cncapply-sdunit.service", ["ActiveState", "MainPID", "NRestarts", "Result"])
        #expect(p["ActiveState"] == "active" && p["MainPID"] == mainPID && p["NRestarts"] == "0" && p["Result"] == "success", "\(p)")

        // An edit of the spec converges: the limit changes live, STATUS names revision 2.
        try Self.spec(memory: "128m").write(toFile: spec, atomically: true, encoding: .utf8)
        var converged = false
        for _ in 0..<100 where !converged {
            Thread.sleep(forTimeInterval: 0.1)
            converged = try h.show(scope, ["MemoryMax"])["MemoryMax"] == "134217728"
                && h.show("cncapply-sdunit.service", ["StatusText"])["StatusText"]?.hasPrefix("sdunit: revision 2 applied") == true
        }
        let status = try h.show("cncapply-sdunit.service", ["StatusText"]), memory = try h.show(scope, ["MemoryMax"])
        #expect(converged, "\(status) \(memory)")

        // Stopped and disabled: the app is down, nothing cnc-* is left.
        #expect(try h.exec(["systemctl", "stop", "cncapply-sdunit.service"]).status == 0)
        #expect(try h.exec(["systemctl", "disable", "--runtime", "cncapply-sdunit.service"]).status == 0)
        let left = try h.units("cnc-")
        #expect(left.isEmpty, "\(left)")
        let ps = try s.cnc(["ps", "-a", "-q"])
        #expect(ps.status == 0 && ps.out.trimmingSpaces.isEmpty, "\(ps.out)")
    }

    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func userUnitRunsUnderRootsUserManager() throws {
        let s = try SystemdCNC("cnc-systemd-userunit")
        let runtime = try s.tmp.sub("xdg-runtime")
        let userEnv = ["XDG_RUNTIME_DIR": runtime]
        s.cleanup = [["env", "XDG_RUNTIME_DIR=" + runtime, "systemctl", "--user", "stop", "cncapply-sdunit.service"],
                     [SystemdCNC.bin + "/cncapply", "--root", s.root, "down", "-p", "sdunit"], ["systemctl", "stop", "cnctest-usermgr.service"]]
        defer { s.stop() }
        let h = s.h
        let spec = try Self.importImageAndWriteSpec(s)
        let home = try s.tmp.sub("home")
        _ = try run("/bin/chmod", ["755", s.tmp.path, home])

        // Another user: refused, nothing written (nobody has no /etc/subuid range, so rootless
        // cnc stops it before the command; with one, install-unit refuses a rootless user unit).
        let other = try h.exec(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                SystemdCNC.bin + "/cncapply", "--root", s.root, "install-unit", "--user", "-f", spec], env: ["HOME": home])
        #expect(other.status != 0 && (other.err.contains("Error: not supported yet: a user unit for a user other than root")
            || other.err.contains("Error: cannot set up namespace: no subuid ranges found for user nobody in /etc/subuid")), "\(other)")
        #expect(!FileSystem.exists(home + "/.config"))

        // Root: into ~/.config/systemd/user, wanted by default.target, no system targets.
        let wrote = try h.exec([SystemdCNC.bin + "/cncapply", "--root", s.root, "install-unit", "--user", "-f", spec], env: ["HOME": home])
        let dir = home + "/.config/systemd/user"
        #expect(wrote.status == 0 && wrote.out.trimmingSpaces == dir + "/cncapply-sdunit.service", "\(wrote)")
        #expect(wrote.err.contains("systemctl --user daemon-reload && systemctl --user enable --now cncapply-sdunit.service"), "\(wrote.err)")
        let text = try FileSystem.readText(dir + "/cncapply-sdunit.service")
        #expect(text.contains("WantedBy=default.target") && !text.contains("network-online") && text.contains("apply --watch --root \(s.root)"), "\(text)")

        // A user manager of root's in the harness, booted into an empty target of the test's: its
        // default target (user tmpfiles among it: the filesystem is the host's) is also masked.
        try FileSystem.writeAtomically("[Unit]\nDescription=cnc test\n", to: dir + "/cnctest.target")
        for masked in ["systemd-tmpfiles-setup.service", "systemd-tmpfiles-clean.service", "systemd-tmpfiles-clean.timer", "default.target"] {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + masked, withDestinationPath: "/dev/null")
        }
        // The installed unit as written; only its default dependencies (the user's basic.target) go.
        try FileSystem.createDirectory(dir + "/cncapply-sdunit.service.d")
        try FileSystem.writeAtomically("[Unit]\nDefaultDependencies=no\n[Service]\nTimeoutStartSec=60\n", to: dir + "/cncapply-sdunit.service.d/harness.conf")
        let manager = try h.exec(["systemd-run", "--unit=cnctest-usermgr.service", "-p", "DefaultDependencies=no", "-p", "Delegate=yes",
                                  "--setenv=HOME=" + home, "--setenv=XDG_RUNTIME_DIR=" + runtime, "/lib/systemd/systemd", "--user", "--unit=cnctest.target"])
        #expect(manager.status == 0, "\(manager)")
        var state = ""
        for _ in 0..<200 where !["running", "degraded"].contains(state) {
            state = (try? h.exec(["systemctl", "--user", "is-system-running"], env: userEnv).out.trimmingSpaces) ?? ""
            if !["running", "degraded"].contains(state) { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(["running", "degraded"].contains(state), "user manager: \(state)")

        let started = try h.exec(["systemctl", "--user", "start", "cncapply-sdunit.service"], env: userEnv)
        #expect(started.status == 0, "\(started.err)")
        let p = try h.exec(["systemctl", "--user", "show", "cncapply-sdunit.service", "-p", "ActiveState", "-p", "StatusText"], env: userEnv).out
        #expect(p.contains("ActiveState=active") && p.contains("StatusText=sdunit: revision 1 applied"), "\(p)")
        let id = try s.cnc(["inspect", "-f", "{{.Id}} {{.State.Status}}", "sdunit-web-1"]).out.trimmingSpaces
        #expect(id.hasSuffix(" running"), "\(id)")
        let scope = "cnc-" + (id.split(separator: " ").first.map(String.init) ?? "") + ".scope"
        #expect(try h.show(scope, ["MemoryMax"])["MemoryMax"] == "67108864")

        // Stopping the user unit brings the app down; nothing cnc-* is left.
        #expect(try h.exec(["systemctl", "--user", "stop", "cncapply-sdunit.service"], env: userEnv).status == 0)
        let ps = try s.cnc(["ps", "-a", "-q"])
        #expect(ps.status == 0 && ps.out.trimmingSpaces.isEmpty, "\(ps.out)")
        let left = try h.units("cnc-")
        #expect(left.isEmpty, "\(left)")
    }
}
