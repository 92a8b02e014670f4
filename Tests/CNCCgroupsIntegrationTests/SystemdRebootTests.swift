import CNCCore
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// Surviving a reboot without a daemon: containers made in one systemd harness, then every
/// process killed (the harness's PID 1 SIGKILLed) and the run state cleared, then a new harness
/// starts cnc-restart.service (packaging/, as `make install` writes it): exactly the containers
/// whose policy says so come back — always (even stopped by hand), unless-stopped unless
/// stopped by hand — and none of the others.
@Suite(.serialized) struct SystemdRebootTests {
    static let unitTemplate: String = {
        URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("packaging/cnc-restart.service.in").path
    }()

    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func restartUnitBringsBackWhatThePolicySays() throws {
        let s = try SystemdCNC("cnc-systemd-reboot")
        let names = ["always", "always-stopped", "unless", "unless-stopped-by-hand", "plain", "onfail"]
        defer { s.stop() }
        let policies = ["always": "always", "always-stopped": "always", "unless": "unless-stopped",
                        "unless-stopped-by-hand": "unless-stopped", "plain": "no", "onfail": "on-failure:3"]
        for name in names {
            let r = try s.cnc(["run", "-d", "--name", name, "--restart", policies[name] ?? "no", "--network", "none",
                               "--rootfs", s.rootfs, "busybox", "sleep", "1000"])
            #expect(r.status == 0, "\(name): \(r.err)")
        }
        #expect(try s.cnc(["stop", "-t", "0", "always-stopped", "unless-stopped-by-hand"]).status == 0)

        // The "reboot": every process gone, /run (here the root's run directory) empty.
        s.h.stop()
        try FileSystem.removeTree(s.root + "/run")
        let h = try SystemdHarness()
        s.cleanup = [[SystemdCNC.bin + "/cnc", "--root", s.root, "rm", "-f"] + names]
        defer {
            for c in s.cleanup { _ = try? h.exec(c) }
            h.stop()
        }
        func cnc(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
            try h.exec([SystemdCNC.bin + "/cnc", "--root", s.root] + args)
        }
        // Nothing runs after the reboot, whatever state.json said (stale monitor pids).
        #expect(try cnc(["ps", "-q"]).out.trimmingSpaces.isEmpty)

        // The unit as installed, but for its root and its boot ordering: the harness shares the
        // host's filesystems, so nothing may pull sysinit.target there (the harness masks it).
        var unit = try FileSystem.readText(Self.unitTemplate).replacingOccurrences(of: "@BINDIR@", with: SystemdCNC.bin)
        unit = unit.replacingOccurrences(of: "[Service]\n", with: "[Service]\nEnvironment=CNC_ROOT=\(s.root)\n")
        unit = unit.replacingOccurrences(of: "[Unit]\n", with: "[Unit]\nDefaultDependencies=no\n")
        unit = unit.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("network-online.target") }.joined(separator: "\n")
        #expect(unit.contains("ExecStart=\(SystemdCNC.bin)/cnc start --all --filter restart-policy=always --filter restart-policy=unless-stopped"))
        try FileSystem.writeAtomically(unit, to: s.tmp.path + "/cnc-restart.service")
        #expect(try h.exec(["/bin/cp", s.tmp.path + "/cnc-restart.service", "/run/systemd/system/"]).status == 0)
        #expect(try h.exec(["systemctl", "daemon-reload"]).status == 0)
        let started = try h.exec(["systemctl", "start", "cnc-restart.service"])
        #expect(started.status == 0, "\(started.err)")
        #expect(try h.show("cnc-restart.service", ["ActiveState", "Result"]) == ["ActiveState": "active", "Result": "success"])

        let running = Set(try cnc(["ps", "--format", "{{.Names}}"]).out.split(separator: "\n").map(String.init))
        #expect(running == ["always", "always-stopped", "unless"], "\(running)")
        // Each in a scope of this systemd.
        #expect(try h.units("cnc-").filter { $0.hasSuffix(".scope") }.count == 3)
        // And a second start of the unit changes nothing (they run).
        #expect(try h.exec(["systemctl", "restart", "cnc-restart.service"]).status == 0)
        #expect(try h.units("cnc-").filter { $0.hasSuffix(".scope") }.count == 3)
    }
}
