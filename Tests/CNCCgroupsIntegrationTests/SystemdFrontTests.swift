import CNCCore
import CNCSystem
import CNCTestSupport
import Testing

/// The lean `cnc` front under the systemd driver: it starts the container itself (its own
/// D-Bus client, no hand-off to cnc-cli), the scope's job overlapped with init's setup, and a
/// start systemd refuses names the unit and leaves nothing behind.
@Suite(.serialized) struct SystemdFrontTests {
    @Test(.enabled(if: SystemdCNC.canRun, "\(SystemdCNC.skipReason)"))
    func frontStartsUnderSystemdItself() throws {
        let s = try SystemdCNC("cnc-systemd-front")
        defer { s.stop() }
        let run = ["run", "--rm", "--cgroup-manager", "systemd", "--network", "none", "-m", "48m", "--rootfs", s.rootfs, "busybox"]
        let fg = try s.h.exec([SystemdCNC.bin + "/cnc", "--root", s.root] + run
                              + ["sh", "-c", "grep memory /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes"],
                              env: ["CNC_TRACE": "1"])
        #expect(fg.status == 0, "\(fg.err)")
        #expect(fg.out.contains(":memory:/cnc.slice/cnc-") && fg.out.contains(".scope\n50331648\n"), "\(fg.out)")
        // The front ran it (cnc-cli prints "parsed", not "parsed (start path)"), and the scope's
        // job was awaited after StartTransientUnit went out, before init was released.
        let marks = fg.err.split(separator: "\n").filter { $0.hasPrefix("trace ") }.map { String($0) }
        func index(_ m: String) -> Int? { marks.firstIndex { $0.contains(m) } }
        #expect(index("parsed (start path)") != nil, "\(fg.err)")
        // The static front talks to systemd with the wire client, cnc-cli (below) with sd-bus.
        #expect(index("systemd bus: connected (wire)") != nil && index("(sd-bus)") == nil, "\(fg.err)")
        if let sent = index("systemd: StartTransientUnit"), let done = index("scope started (job done)"), let joined = index("in cgroups") {
            #expect(sent < done && done < joined, "\(marks)")
        } else {
            Issue.record("missing trace marks: \(fg.err)")
        }
        #expect(try s.h.units("cnc-").isEmpty)

        // `update` of limits: the front too; the unit's property and the saved config change.
        #expect(try s.cnc(["run", "-d", "--name", "upd", "--cgroup-manager", "systemd", "--network", "none", "--rootfs", s.rootfs,
                           "busybox", "sleep", "300"]).status == 0)
        let up = try s.h.exec([SystemdCNC.bin + "/cnc", "--root", s.root, "update", "--memory", "70m", "--pids-limit=33", "upd"],
                              env: ["CNC_TRACE": "1"])
        #expect(up.status == 0 && up.out == "upd\n" && up.err.contains("parsed (update path)"), "\(up)")
        let id = try s.cnc(["inspect", "-f", "{{.Id}}", "upd"]).out.trimmingSpaces
        let p = try s.h.show("cnc-\(id).scope", ["MemoryMax", "TasksMax"])
        #expect(p["MemoryMax"] == "73400320" && p["TasksMax"] == "33", "\(p)")
        #expect(try s.cnc(["inspect", "-f", "{{.HostConfig.Memory}}", "upd"]).out == "73400320\n")
        let missing = try s.cnc(["update", "--memory", "71m", "nosuch"])
        #expect(missing.status == 1 && missing.err == "Error: No such container: nosuch\n", "\(missing)")
        let rm = try s.h.exec([SystemdCNC.bin + "/cnc", "--root", s.root, "rm", "-f", "upd"], env: ["CNC_TRACE": "1"])
        #expect(rm.status == 0 && rm.err.contains("systemd bus: connected (sd-bus)") && !rm.err.contains("(wire)"), "\(rm)")

        // A start systemd refuses (its slice masked): Docker's exit status, the unit named,
        // no container, no unit.
        #expect(try s.h.exec(["systemctl", "mask", "--runtime", "masked.slice"]).status == 0)
        let bad = try s.cnc(["run", "--rm", "--cgroup-manager", "systemd", "--cgroup-parent", "masked.slice", "--network", "none",
                             "--rootfs", s.rootfs, "busybox", "true"])
        #expect(bad.status == 125, "\(bad)")
        #expect(bad.err.hasPrefix("Error: ") && bad.err.contains("failed to start unit cnc-") && bad.err.contains("masked"), "\(bad.err)")
        #expect(try s.cnc(["ps", "-aq"]).out.isEmpty)
        let left = try s.h.units("cnc-")
        #expect(left.isEmpty, "\(left)")
    }
}
