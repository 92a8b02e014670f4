import CNCCore
import CNCRuntime
import CNCSystem
import Foundation
import Testing

/// The issue's acceptance list, on the real kernel through the real CLI (CI runs as root).
@Suite(.serialized) struct RuntimeAcceptanceTests {
    @Test func pid1IsTheWorkloadAndNamespacesArePrivate() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let r = try h.run(["--rm", "--hostname", "box1"], ["sh", "-c",
            "echo pid=$$; hostname; for n in mnt net pid uts ipc; do readlink /proc/1/ns/$n; done; cat /proc/self/mountinfo"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.first == "pid=1")
        #expect(lines.dropFirst().first == "box1")
        for ns in ["mnt", "net", "pid", "uts", "ipc"] {
            let host = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(ns)")) ?? "?"
            #expect(lines.contains { $0.hasPrefix("\(ns):[") } && !lines.contains(host), "\(ns) namespace is shared")
        }
        #expect(!r.out.contains(" /work"), "host mounts visible inside")
        // --network none still has a working loopback, as in Docker.
        let lo = try h.run(["--rm", "--network", "none"], ["sh", "-c", "(nc -l -p 8080 -e echo served &); sleep 0.2; nc 127.0.0.1 8080 </dev/null"])
        #expect(lo.out == "served\n", "\(lo.out) \(lo.err)")
        #expect((try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8))?.contains("box1") == false)
        // --init: cnc-init stays PID 1 and the workload is its child.
        let i = try h.run(["--rm", "--init"], ["sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$"])
        #expect(i.out.hasPrefix("cnc-init run"), "\(i.out) \(i.err)")
        #expect(i.out.split(separator: "\n").last != "1")
    }

    @Test func exitCodesLikeDocker() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        // Docker's table: the container's status; 126 when its command cannot be invoked; 127
        // when it is not found; 125 for cnc's own errors (bad flag or value, engine error).
        let commands: [([String], Int32)] = [
            (["sh", "-c", "exit 42"], 42), (["true"], 0), (["/does/not/exist"], 127), (["nosuchcommand"], 127),
            (["/etc/passwd"], 126), (["/tmp"], 126),
        ]
        for (command, status) in commands {
            #expect(try h.run(["--rm", "--network", "none"], command).status == status, "run \(command)")
            // create + start -a: the workload's status; a start that fails (126/127 for run) is
            // docker's start error, exit 1.
            let id = try h.cnc(["create", "--network", "none", "--rootfs", CNCHarness.rootfs, "busybox"] + command).out
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try h.cnc(["start", "-a", id]).status == (status >= 126 ? 1 : status), "start -a \(command)")
            try h.cnc(["rm", "-f", id])
        }
        let own: [[String]] = [["--memory", "12zz"], ["--foo"], ["--pull", "sometimes"], ["--network", "nosuchnet"], ["--cpus", "x"]]
        for flags in own {
            #expect(try h.run(["--rm"] + flags, ["true"]).status == 125, "run \(flags)")
            #expect(try h.cnc(["create"] + flags + ["--rootfs", CNCHarness.rootfs, "busybox", "true"]).status == 125, "create \(flags)")
        }
        // exec: the command's status, 126/127 as run; a refusal before anything runs (no such
        // container) is docker's 1; a usage error 125.
        try h.run(["-d", "--name", "ex", "--network", "none"], ["sleep", "100"])
        for (command, status) in commands {
            #expect(try h.cnc(["exec", "ex"] + command).status == status, "exec \(command)")
        }
        #expect(try h.cnc(["exec", "nosuchcontainer", "true"]).status == 1)
        #expect(try h.cnc(["exec", "--foo", "ex", "true"]).status == 125)
        // Docker's words: its OCI runtime's failure (runc's, as docker's daemon wraps it), 126 for
        // any exec that cannot start (a missing user too), 127 for a command not found.
        let oci = "Error: OCI runtime exec failed: exec failed: unable to start container process: "
        let words: [([String], Int32, String)] = [
            (["nosuchcommand"], 127, #"exec: "nosuchcommand": executable file not found in $PATH"#),
            (["/does/not/exist"], 127, #"exec: "/does/not/exist": stat /does/not/exist: no such file or directory"#),
            (["/etc/passwd"], 126, #"exec: "/etc/passwd": permission denied"#),
            (["-u", "nosuchuser", "true"], 126, "unable to find user nosuchuser: no matching entries in passwd file"),
        ]
        for (args, status, message) in words {
            let flags = args.first == "-u" ? Array(args.prefix(2)) : []
            let e = try h.cnc(["exec"] + flags + ["ex"] + args.dropFirst(flags.count))
            #expect(e.status == status && e.err == oci + message + ": unknown\n", "\(args): \(e.err)")
        }
        // Refusals before anything runs: moby's words, by full ID, status 1.
        let exID = try h.cnc(["inspect", "--format", "{{.Id}}", "ex"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try h.cnc(["pause", "ex"]).status == 0)
        let paused = try h.cnc(["exec", "ex", "true"])
        #expect(paused.status == 1 && paused.err == "Error: Container \(exID) is paused, unpause the container before exec\n", "\(paused.err)")
        #expect(try h.cnc(["unpause", "ex"]).status == 0)
        #expect(try h.cnc(["kill", "ex"]).status == 0)
        #expect(h.eventually { (try? h.cnc(["inspect", "--format", "{{.State.Status}}", "ex"]).out) == "exited\n" })
        let stopped = try h.cnc(["exec", "ex", "true"])
        #expect(stopped.status == 1 && stopped.err == "Error: Container \(exID) is not running\n", "\(stopped.err)")
        // kill, pause, unpause and top of a stopped container: docker's daemon words.
        let killed = try h.cnc(["kill", "ex"])
        #expect(killed.status == 1 && killed.err == "Error: Cannot kill container: ex: Container \(exID) is not running\n", "\(killed.err)")
        #expect(try h.cnc(["pause", "ex"]).err == "Error: Container \(exID) is not running\n")
        #expect(try h.cnc(["unpause", "ex"]).err == "Error: Container \(exID) is not paused\n")
        #expect(try h.cnc(["top", "ex"]).err == "Error: Container \(exID) is not running\n")
        // run -d --rm: the monitor hands the removal to `cnc rm -f` when the workload ends.
        let id = try h.run(["-d", "--rm"], ["sleep", "0.2"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(h.eventually { !FileManager.default.fileExists(atPath: h.root + "/containers/" + id) }, "run -d --rm left \(id) behind")
    }

    /// A stop that will wait out its grace period says why, once, on stderr: a busybox `sleep`
    /// as PID 1 has no TERM handler (the kernel drops the signal); a shell with a trap, or
    /// --init, catches it and stops at once, silently.
    @Test func stopSaysWhenPID1IgnoresTheStopSignal() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        try h.run(["-d", "--name", "deaf", "--network", "none"], ["sleep", "100"])
        try h.run(["-d", "--name", "trap", "--network", "none"], ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"])
        try h.run(["-d", "--name", "init", "--network", "none", "--init"], ["sleep", "100"])
        try h.run(["-d", "--name", "int", "--network", "none", "--stop-signal", "SIGINT"], ["sleep", "100"])
        // The trap must be set before the stop: wait until the shell catches TERM.
        let trapPid = try h.inspect("trap", "{{.State.Pid}}")
        #expect(h.eventually {
            let status = (try? String(contentsOfFile: "/proc/\(trapPid)/status", encoding: .utf8)) ?? ""
            return status.contains("SigCgt:") && !GraceWait.ignores(15, status: status)
        })
        let deaf = try h.cnc(["stop", "-t", "1", "deaf"])
        #expect(deaf.status == 0 && deaf.err == "waiting up to 1s: PID 1 ignores SIGTERM (init: true or STOPSIGNAL helps)\n", "\(deaf.err)")
        let int = try h.cnc(["stop", "-t", "2", "int"])
        #expect(int.err == "waiting up to 2s: PID 1 ignores SIGINT (init: true or STOPSIGNAL helps)\n", "\(int.err)")
        for name in ["trap", "init"] {
            let r = try h.cnc(["stop", "-t", "5", name])
            #expect(r.status == 0 && r.err.isEmpty, "\(name): \(r.err)")
        }
        #expect(try h.cnc(["restart", "-t", "1", "deaf"]).err.isEmpty, "a stopped container has nothing to wait for")
        let restart = try h.cnc(["restart", "-t", "1", "deaf"])
        #expect(restart.err == "waiting up to 1s: PID 1 ignores SIGTERM (init: true or STOPSIGNAL helps)\n", "\(restart.err)")
        #expect(try h.cnc(["stop", "-t", "0", "deaf"]).err.isEmpty, "no wait, nothing to say")
    }

    @Test func cpuQuotaHoldsABusyLoopNearTenPercent() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let id = try h.run(["-d", "--cpus", "0.1"], ["sh", "-c", "while :; do :; done"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        // The kernel's own counters, not the wall clock: CPU used against the CFS periods that
        // passed (a loaded host stretches both alike), and the loop throttled at the quota.
        func counters() -> (usage: Double, periods: Double, throttled: Double) {
            let usage = Double(((try? String(contentsOfFile: "/sys/fs/cgroup/cpuacct/cnc/\(id)/cpuacct.usage", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            var stat: [String: Double] = [:]
            for line in ((try? String(contentsOfFile: "/sys/fs/cgroup/cpu/cnc/\(id)/cpu.stat", encoding: .utf8)) ?? "").split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count == 2 { stat[String(f[0])] = Double(f[1]) }
            }
            return (usage, stat["nr_periods"] ?? 0, stat["nr_throttled"] ?? 0)
        }
        let a = counters()
        var b = a
        #expect(h.eventually { b = counters(); return b.periods - a.periods >= 20 && b.throttled > a.throttled }, "periods \(a) -> \(b)")
        // 10 ms of quota per 100 ms period; one period of slack for reading the files apart.
        let perPeriod = (b.usage - a.usage) / max(1, b.periods - a.periods - 1)
        #expect(perPeriod < 15_000_000, "busy loop used \(perPeriod / 1e6) ms per 100 ms period under a 10 ms quota")
    }

    @Test func memoryLimitOOMKillsAndInspectSaysSo() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let r = try h.run(["--name", "hog", "-m", "32m", "--memory-swap", "32m"], ["sh", "-c", "x=a; while :; do x=$x$x; done"])
        #expect(r.status == 137)
        #expect(try h.inspect("hog", "{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}}") == "true 137 exited")
    }

    @Test func pidsLimitStopsAForkBomb() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let id = try h.run(["-d", "--pids-limit", "16"], ["sh", "-c", "for i in $(seq 60); do sleep 30 & done; sleep 30"])
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try h.eventually { try h.cnc(["logs", id]).err.contains("can't fork") })
        let current = (try? String(contentsOfFile: "/sys/fs/cgroup/pids/cnc/\(id)/pids.current", encoding: .utf8)) ?? "?"
        #expect(Int(current.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 999 <= 16, "pids.current \(current)")
    }

    @Test func restartPolicyBacksOffAndStopsAtMax() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let t0 = Date()
        let r = try h.run(["--name", "flaky", "--restart", "on-failure:3"], ["sh", "-c", "echo try; exit 3"])
        let took = Date().timeIntervalSince(t0)
        #expect(r.status == 3)
        #expect(try h.inspect("flaky", "{{.RestartCount}} {{.State.Status}}") == "3 exited")
        // 100 + 200 + 400 ms of backoff between the four runs.
        #expect(took >= 0.7, "restarts took only \(took)s")
        #expect(try h.cnc(["logs", "flaky"]).out.components(separatedBy: "try").count - 1 == 4)
        // stop during a backoff wait returns at once and nothing restarts afterwards.
        try h.run(["-d", "--name", "always", "--restart", "always"], ["sh", "-c", "exit 1"])
        #expect(try h.eventually { try h.inspect("always", "{{.State.Status}}") == "restarting" })
        // (How fast stop returns is BENCHMARKS' business; here: it stops, and nothing restarts.)
        #expect(try h.cnc(["stop", "always"]).status == 0)
        let count = try h.inspect("always", "{{.RestartCount}}")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(try h.inspect("always", "{{.State.Status}} {{.RestartCount}}") == "exited \(count)")
    }

    @Test func sleepAsPID1IgnoresSIGTERMAndIsKilledAfterTheGrace() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        try h.run(["-d", "--name", "sleeper"], ["sleep", "1000"])
        let t0 = Date()
        #expect(try h.cnc(["stop", "-t", "1", "sleeper"]).status == 0)
        let took = Date().timeIntervalSince(t0)
        // The grace is a lower bound (load only lengthens it); SIGKILL shows in the 137.
        #expect(took >= 1, "stop took \(took)s")
        #expect(try h.inspect("sleeper", "{{.State.ExitCode}} {{.State.Running}}") == "137 false")
    }

    @Test func execCpLogsStatsPauseWork() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        try h.run(["-d", "--name", "app", "-e", "GREETING=hi"], ["sh", "-c", "ln -s /../../../../etc /escape; echo ready; sleep 1000"])
        #expect(try h.eventually { try h.cnc(["logs", "app"]).out == "ready\n" })
        let e = try h.cnc(["exec", "-e", "X=1", "app", "sh", "-c", "echo $GREETING $X $$; cat /proc/1/cmdline"])
        #expect(e.status == 0 && e.out.hasPrefix("hi 1 "), "\(e.out) \(e.err)")
        #expect(try h.cnc(["exec", "app", "sh", "-c", "exit 7"]).status == 7)
        // Docker's statuses: 127 for a missing command, 126 for one that cannot run, 1 when
        // the container is not there or not running.
        #expect(try h.cnc(["exec", "app", "/no/such/cmd"]).status == 127)
        #expect(try h.cnc(["exec", "app", "/etc"]).status == 126)
        #expect(try h.cnc(["exec", "no-such-container", "true"]).status == 1)
        // cp both ways; a symlink pointing out of the container stays inside it.
        let tmp = "/tmp/cnc-cp-\(ContainerID.random().short)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try "payload\n".write(toFile: tmp + "/in.txt", atomically: true, encoding: .utf8)
        #expect(try h.cnc(["cp", tmp + "/in.txt", "app:/tmp/in.txt"]).status == 0)
        #expect(try h.cnc(["exec", "app", "cat", "/tmp/in.txt"]).out == "payload\n")
        #expect(try h.cnc(["cp", "app:/escape/passwd", tmp + "/passwd"]).status == 0)
        let copied = (try? String(contentsOfFile: tmp + "/passwd", encoding: .utf8)) ?? ""
        #expect(copied.contains("nobody:x:65534") && copied.count < 200, "copied the host's passwd: \(copied.prefix(80))")
        #expect(try h.cnc(["cp", tmp + "/in.txt", "app:/escape/cnc-escape-test"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/etc/cnc-escape-test"))
        #expect(try h.cnc(["logs", "app"]).out == "ready\n")
        let stats = try h.cnc(["stats", "--no-stream", "app"])
        #expect(stats.out.contains("app") && stats.status == 0)
        #expect(try h.cnc(["top", "app"]).out.contains("sleep 1000"))
        #expect(try h.cnc(["pause", "app"]).status == 0)
        #expect(try h.inspect("app", "{{.State.Status}}") == "paused")
        #expect(try h.cnc(["unpause", "app"]).status == 0)
        #expect(try h.inspect("app", "{{.State.Status}}") == "running")
        #expect(try h.cnc(["ps", "--format", "{{.Names}} {{.State}}"]).out == "app running\n")
        // update changes a live limit.
        #expect(try h.cnc(["update", "--pids-limit", "33", "app"]).status == 0)
        let id = try h.inspect("app", "{{.Id}}")
        #expect((try? String(contentsOfFile: "/sys/fs/cgroup/pids/cnc/\(id)/pids.max", encoding: .utf8)) == "33\n")
    }

    @Test func logsFollowEndsWithTheContainer() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        try h.run(["-d", "--name", "talker"], ["sh", "-c", "for i in 1 2 3; do echo n$i; sleep 0.2; done; echo err >&2"])
        let r = try h.cnc(["logs", "-f", "talker"])
        #expect(r.out == "n1\nn2\nn3\n", "\(r.out)")
        #expect(r.err == "err\n")
        let t = try h.cnc(["logs", "--tail", "2", "talker"])
        #expect(t.out == "n3\n" && t.err == "err\n")
    }

    @Test func maskedAndReadOnlyPathsHold() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let r = try h.run(["--rm"], ["sh", "-c",
            "wc -c < /proc/keys; ls /sys/firmware | wc -l; echo 1 > /proc/sys/vm/drop_caches && echo WROTE; touch /sys/x && echo WROTE; echo end"])
        #expect(!r.out.contains("WROTE"), "\(r.out)")
        #expect(r.out.hasPrefix("0\n0\n"), "\(r.out)")
    }

    @Test func capabilitiesAndSeccompDefaultsHold() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let r = try h.run(["--rm"], ["sh", "-c",
            "mount -t tmpfs t /mnt && echo MOUNTED; unshare -m true && echo UNSHARED; grep -E '^CapEff|^NoNewPrivs|^Seccomp:' /proc/self/status"])
        #expect(!r.out.contains("MOUNTED") && !r.out.contains("UNSHARED"), "\(r.out)")
        #expect(r.out.contains("CapEff:\t00000000a80425fb"), "\(r.out)")
        #expect(r.out.contains("Seccomp:\t2"))
        // --cap-add SYS_ADMIN with seccomp unconfined lets unshare through.
        let u = try h.run(["--rm", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined"], ["sh", "-c", "unshare -m true && echo UNSHARED"])
        #expect(u.out.contains("UNSHARED"), "\(u.err)")
        // CVE-2019-5736: cnc-init as PID 1 (--init) cannot be rewritten through /proc/1/exe,
        // even with CAP_SYS_PTRACE.
        let initPath = CNCHarness.binDir + "/cnc-init"
        let before = try Data(contentsOf: URL(fileURLWithPath: initPath))
        for caps in [[], ["--cap-add", "SYS_PTRACE"]] {
            let w = try h.run(["--rm", "--init"] + caps, ["sh", "-c", "echo x >> /proc/1/exe && echo WROTE; (exec 3</proc/1/exe; echo y > /proc/self/fd/3 && echo WROTE2); echo end"])
            #expect(!w.out.contains("WROTE") && w.out.contains("end"), "\(w.out) \(w.err)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: initPath)) == before)
    }

    @Test func volumesTmpfsUserAndReadOnlyRoot() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let dir = "/tmp/cnc-vol-\(ContainerID.random().short)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try h.run(["--rm", "--read-only", "-v", "\(dir):/data", "-v", "named1:/named", "--tmpfs", "/scratch", "-u", "user", "-w", "/data"],
                          ["sh", "-c", "id -u; pwd; echo x > /data/f && echo DATA; touch /rootfile || echo RO; cat /etc/hostname >/dev/null && echo ETC"])
        #expect(r.out.contains("1000\n/data\n"), "\(r.out) \(r.err)")
        #expect(r.out.contains("RO") && r.out.contains("ETC"))
        // /data is owned by root, so user 1000 cannot write there; root can.
        let w = try h.run(["--rm", "-v", "\(dir):/data"], ["sh", "-c", "echo x > /data/f && echo DATA"])
        #expect(w.out.contains("DATA"))
        #expect(FileManager.default.fileExists(atPath: dir + "/f"))
    }

    @Test func runsAnImageFromTheStore() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let tar = "/tmp/cnc-img-\(ContainerID.random().short).tar"
        defer { try? FileManager.default.removeItem(atPath: tar) }
        #expect(try Spawn.capture("/bin/tar", ["-C", CNCHarness.rootfs, "-cf", tar, "."], environment: []).termination == .exited(0))
        #expect(try h.cnc(["import", tar, "bbtest:1"]).status == 0)
        let r = try h.cnc(["run", "--rm", "--hostname", "img", "bbtest:1", "sh", "-c", "hostname; ls /bin/busybox"])
        #expect(r.status == 0 && r.out == "img\n/bin/busybox\n", "\(r.out) \(r.err)")
        let missing = try h.cnc(["run", "--rm", "nothere:1", "true"])
        #expect(missing.status == 125 && missing.err.contains("Unable to find image"))
    }

    /// A foreground --rm run keeps its directory and name on a tmpfs, and leaves nothing in
    /// either place.
    @Test func foregroundRemovedRunsLiveOnATmpfs() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let r = try h.cnc(["run", "--rm", "--name", "eph", "--rootfs", CNCHarness.rootfs, "busybox", "sh", "-c", "echo ok"])
        #expect(r.status == 0 && r.out == "ok\n", "\(r.out) \(r.err)")
        let store = ContainerStore(root: h.root)
        let tmp = try #require(store.ephemeralDir)
        let p = try h.start(["run", "--rm", "--name", "eph", "--rootfs", CNCHarness.rootfs, "busybox", "sleep", "2"])
        var dir: String?
        for _ in 0..<100 {
            if let e = (try? FileManager.default.contentsOfDirectory(atPath: tmp))?.first, FileManager.default.fileExists(atPath: tmp + "/" + e + "/cnc.json") {
                dir = tmp + "/" + e
                break
            }
            usleep(20_000)
        }
        let found = try #require(dir, "no ephemeral directory appeared")
        let attrs = try FileManager.default.attributesOfItem(atPath: tmp)
        #expect((attrs[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
        // Listed, named and inspectable like any container; the name is taken.
        #expect(try h.cnc(["ps", "--format", "{{.Names}}"]).out == "eph\n")
        #expect(try h.cnc(["inspect", "--format", "{{.State.Running}}", "eph"]).out == "true\n")
        let clash = try h.cnc(["create", "--name", "eph", "--rootfs", CNCHarness.rootfs, "busybox", "true"])
        #expect(clash.status != 0 && clash.err.contains("already in use"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: h.root + "/containers")) ?? []).isEmpty)
        #expect(try h.finish(p) == 0)
        #expect(!FileManager.default.fileExists(atPath: found))
        #expect(!FileManager.default.fileExists(atPath: tmp), "the empty ephemeral directory stays behind")
        // Its cgroups are gone (the shared `cnc` parent may stay, as Docker's does).
        let id = (found as NSString).lastPathComponent
        for h in ["memory", "pids", "cpu", "freezer", "cpuset", "blkio", "devices", "cpuacct"] {
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(h)/cnc/\(id)"), "cgroup \(h)/cnc/\(id) left behind")
        }
    }

    /// `cnc rm -f` of a foreground --rm run from another terminal: the run ends with 137,
    /// both clean-ups succeed whichever comes second, and the name is free again.
    @Test func removingARunningForegroundRunFromElsewhere() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let p = try h.start(["run", "--rm", "--name", "fg", "--rootfs", CNCHarness.rootfs, "busybox", "sleep", "30"])
        var up = false
        for _ in 0..<100 where !up {
            up = (try? h.cnc(["inspect", "--format", "{{.State.Running}}", "fg"]).out) == "true\n"
            if !up { usleep(20_000) }
        }
        #expect(up)
        let rm = try h.cnc(["rm", "-f", "fg"])
        #expect(rm.status == 0, "\(rm.err)")
        #expect(try h.finish(p) == 137)
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
        let again = try h.cnc(["run", "--rm", "--name", "fg", "--rootfs", CNCHarness.rootfs, "busybox", "true"])
        #expect(again.status == 0, "\(again.err)")
    }

    /// config.json carries the seccomp profile cnc-init applies, in OCI form (runc accepts and
    /// enforces it): the allow-list, and the capability-gated calls only with the capability.
    @Test func ociConfigCarriesTheSeccompProfile() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        func profile(_ extra: [String]) throws -> (names: Set<String>, rules: [[String: Any]]) {
            let id = try h.cnc(["create", "--rootfs", CNCHarness.rootfs] + extra + ["busybox", "true"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(h.root)/containers/\(id)/config.json"))
            let spec = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let seccomp = try #require((spec["linux"] as? [String: Any])?["seccomp"] as? [String: Any])
            #expect(seccomp["defaultAction"] as? String == "SCMP_ACT_ERRNO")
            let rules = try #require(seccomp["syscalls"] as? [[String: Any]])
            let allowed = rules.filter { $0["action"] as? String == "SCMP_ACT_ALLOW" && $0["args"] == nil }
            return (Set(allowed.flatMap { $0["names"] as? [String] ?? [] }), rules)
        }
        let plain = try profile([])
        #expect(plain.names.isSuperset(of: ["read", "write", "execve", "openat", "exit_group"]))
        #expect(plain.names.isDisjoint(with: ["mount", "unshare", "bpf", "perf_event_open", "clone"]))
        #expect(plain.rules.contains { ($0["names"] as? [String]) == ["clone3"] && $0["errnoRet"] as? Int == 38 })
        let admin = try profile(["--cap-add", "SYS_ADMIN"])
        #expect(admin.names.isSuperset(of: ["mount", "unshare", "setns"]))
        #expect(!admin.rules.contains { ($0["names"] as? [String]) == ["clone3"] })
        let unconfined = try h.cnc(["create", "--rootfs", CNCHarness.rootfs, "--security-opt", "seccomp=unconfined", "busybox", "true"])
        let id = unconfined.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(h.root)/containers/\(id)/config.json"))
        let linux = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["linux"] as? [String: Any]
        #expect(linux?["seccomp"] == nil)
    }

    /// What a crash leaves of an ephemeral run — a link in the state root, a directory without
    /// cnc.json on the tmpfs, or a link whose target a reboot wiped — is swept, both sides.
    @Test func sweepRemovesEphemeralLeftovers() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? FileManager.default.removeItem(atPath: h.root) }
        let runtime = try h.runtime()
        let half = ContainerID.random()
        try runtime.store.claimName("half", for: half, ephemeral: true)
        let tmp = try #require(runtime.store.ephemeralDir)
        try FileManager.default.createDirectory(atPath: tmp + "/" + half.rawValue, withIntermediateDirectories: false)
        #expect(FileManager.default.createFile(atPath: tmp + "/" + half.rawValue + "/hosts", contents: Data()))
        #expect(runtime.store.ids() == [half])
        runtime.sweepIncomplete(grace: 0)
        #expect(runtime.store.ids().isEmpty)
        #expect(runtime.store.nameLink("half") == nil)
        #expect(!FileManager.default.fileExists(atPath: tmp), "the empty ephemeral directory stays behind")
        #expect(!FileManager.default.fileExists(atPath: try #require(runtime.store.ephemeralNamesDir)))
    }

    @Test func foregroundRunForwardsSignalsToTheWorkload() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let out = try CNCSystem.Pipe()
        let p = try h.start(["run", "--rm", "--rootfs", CNCHarness.rootfs, "busybox", "sh", "-c",
                             "trap 'echo got-INT; exit 5' INT; echo ready; sleep 10 & wait"], stdout: out.write.raw)
        out.write.close()
        // Wait for the workload to be up, then Ctrl-C the CLI.
        var first = [UInt8](repeating: 0, count: 64)
        let n = read(out.read.raw, &first, first.count)
        #expect(String(decoding: first.prefix(max(n, 0)), as: UTF8.self).hasPrefix("ready"))
        kill(p, SIGINT)
        #expect(try h.finish(p) == 5)
        #expect(String(decoding: FD.readAll(out.read.raw), as: UTF8.self).contains("got-INT"))
    }

    @Test func healthLogRotationNetworkModesTTYAndCrashRecovery() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        // Health: unhealthy until the file exists, then healthy.
        try h.run(["-d", "--name", "hc", "--health-cmd", "test -f /tmp/ok", "--health-interval", "100ms", "--health-retries", "2"], ["sleep", "100"])
        #expect(try h.eventually { try h.inspect("hc", "{{.State.Health.Status}}") == "unhealthy" })
        try h.cnc(["exec", "hc", "touch", "/tmp/ok"])
        #expect(try h.eventually { try h.inspect("hc", "{{.State.Health.Status}}") == "healthy" })
        // Size rotation keeps max-file files.
        try h.run(["-d", "--name", "chatty", "--log-opt", "max-size=1k", "--log-opt", "max-file=2"],
                  ["sh", "-c", "for i in $(seq 200); do echo line-$i; done; sleep 100"])
        var logs = ""
        #expect(try h.eventually { logs = try h.cnc(["logs", "chatty"]).out; return logs.hasSuffix("line-200\n") }, "\(logs.suffix(80))")
        #expect(!logs.contains("line-1\n"))
        // container:NAME shares the network namespace; host uses the host's.
        let pid = try h.inspect("hc", "{{.State.Pid}}")
        let shared = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
        #expect(try h.run(["--rm", "--network", "container:hc"], ["readlink", "/proc/self/ns/net"]).out == shared + "\n")
        let hostNet = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        #expect(try h.run(["--rm", "--network", "host"], ["readlink", "/proc/self/ns/net"]).out == hostNet + "\n")
        // exec -t allocates the terminal from the container's own devpts.
        let et = try h.cnc(["exec", "-t", "hc", "sh", "-c", "tty; exit 6"])
        #expect(et.status == 6 && et.out.contains("/dev/pts/0"), "\(et.out) \(et.err)")
        // -t gives the workload a terminal of its own (more in ttyComesFromTheContainersDevpts).
        let t = try h.run(["--rm", "-t"], ["sh", "-c", "tty; exit 4"])
        #expect(t.status == 4 && t.out.contains("/dev/pts/0"), "\(t.out) \(t.err)")
        // A crashed monitor shows as exited/dead, and rm -f still cleans up (tearDown checks).
        let stateFile = h.root + "/containers/" + (try h.inspect("chatty", "{{.Id}}")) + "/state.json"
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stateFile))) as? [String: Any]
        let monitor = Int32(state?["MonitorPid"] as? Int ?? 0)
        #expect(monitor > 0)
        kill(monitor, SIGKILL)
        #expect(try h.eventually { try h.inspect("chatty", "{{.State.Status}} {{.State.Dead}}") == "exited true" })
    }

    /// As runc/Docker: the terminal is allocated in the container's own devpts, so the workload
    /// sees /dev/pts/0, the same terminal is /dev/console and the session's controlling
    /// terminal; -i types the caller's input into it; a detached -t container logs through it.
    @Test func ttyComesFromTheContainersDevpts() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        // tty_nr of /proc/self/stat: 136 << 8 | 0 for /dev/pts/0.
        let script = "tty; stat -c '%t:%T' /dev/console; awk '{print $7}' /proc/self/stat"
        for flags in [["--rm", "-t"], ["--rm", "-t", "--init"]] {
            let r = try h.run(flags, ["sh", "-c", script])
            #expect(r.status == 0 && r.out.replacingOccurrences(of: "\r", with: "") == "/dev/pts/0\n88:0\n34816\n", "\(flags): \(r.out) \(r.err)")
        }
        let i = try h.cnc(["run", "--rm", "-i", "-t", "--rootfs", CNCHarness.rootfs, "busybox", "sh", "-c", "read x; echo got:$x"], stdin: "hello\n")
        #expect(i.status == 0 && i.out.contains("got:hello"), "\(i.out) \(i.err)")
        try h.run(["-d", "-t", "--name", "dt"], ["sh", "-c", "tty; echo done"])
        #expect(try h.cnc(["wait", "dt"]).out == "0\n")
        #expect(try h.cnc(["logs", "dt"]).out.replacingOccurrences(of: "\r", with: "") == "/dev/pts/0\ndone\n")
        // A failure once the terminal is handed over is still the start's error; nothing is
        // left (tearDown checks).
        let bad = try h.run(["--rm", "-t", "-w", "/etc/passwd"], ["true"])
        #expect(bad.status == 125 && bad.err.contains("chdir to /etc/passwd: Not a directory"), "\(bad.out) \(bad.err)")
    }

    /// `--security-opt seccomp=FILE` (Docker's profile format: archMap, includes/excludes by
    /// capability and kernel, errnoRet, args) applies to the workload and to exec, is kept
    /// inline like Docker's, and shows in config.json; bad files and options are errors.
    @Test func customSeccompProfileAndSecurityOptions() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let file = "/tmp/cnc-seccomp-\(ContainerID.random().short).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
        {"defaultAction": "SCMP_ACT_ALLOW",
         "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                     {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
         "syscalls": [
          {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
          {"names": ["chmod", "fchmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_FOWNER"]}},
          {"names": ["rename", "renameat", "renameat2"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
          {"names": ["symlink", "symlinkat"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "99.0"}},
          {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
          {"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}
         ]}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let script = "mkdir /a 2>&1; touch /f && chmod 600 /f && echo chmod-ok; mv /f /g && echo mv-ok; ln -s /g /l && echo ln-ok"
        let r = try h.run(["--rm", "--security-opt", "seccomp=" + file], ["sh", "-c", script])
        #expect(r.out == "mkdir: can't create directory '/a': Permission denied\nchmod-ok\nmv-ok\nln-ok\n", "\(r.out) \(r.err)")
        // Without CAP_FOWNER the chmod rule is no longer excluded.
        let d = try h.run(["--rm", "--cap-drop", "FOWNER", "--security-opt", "seccomp=" + file], ["sh", "-c", "touch /f; chmod 600 /f"])
        #expect(d.status == 1 && d.err.contains("Operation not permitted"), "\(d.out) \(d.err)")
        // exec runs under the same profile; the profile lives in the container, not the file.
        try h.run(["-d", "--name", "sc", "--security-opt", "seccomp=" + file], ["sleep", "100"])
        try FileManager.default.removeItem(atPath: file)
        #expect(try h.cnc(["exec", "sc", "mkdir", "/b"]).err.contains("Permission denied"))
        let opts = try h.inspect("sc", "{{json .HostConfig.SecurityOpt}}")
        #expect(opts.hasPrefix("[\"seccomp={") && opts.contains("SCMP_ACT_ERRNO"), "\(opts)")
        let dir = h.root + "/containers/" + (try h.inspect("sc", "{{.Id}}"))
        let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))) as? [String: Any]
        let seccomp = (spec?["linux"] as? [String: Any])?["seccomp"] as? [String: Any]
        #expect(seccomp?["defaultAction"] as? String == "SCMP_ACT_ALLOW")
        let names = ((seccomp?["syscalls"] as? [[String: Any]]) ?? []).flatMap { $0["names"] as? [String] ?? [] }
        #expect(names.contains("mkdir") && names.contains("personality") && !names.contains("chmod") && !names.contains("rename") && !names.contains("symlink"), "\(names)")
        #if arch(x86_64)
        #expect(seccomp?["architectures"] as? [String] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #endif
        // systempaths=unconfined: nothing masked or read-only under /proc.
        let masked = try h.run(["--rm"], ["sh", "-c", "grep -c ' /proc/keys ' /proc/self/mountinfo"])
        #expect(masked.out == "1\n")
        let open = try h.run(["--rm", "--security-opt", "systempaths=unconfined"], ["sh", "-c", "grep -c ' /proc/keys ' /proc/self/mountinfo"])
        #expect(open.out == "0\n", "\(open.out) \(open.err)")
        // Errors name the file or the option, and leave no container behind.
        let bad = "/tmp/cnc-seccomp-bad-\(ContainerID.random().short).json"
        defer { try? FileManager.default.removeItem(atPath: bad) }
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        for (opt, message) in [("seccomp=" + bad, "seccomp profile \(bad): syscalls[0]: unknown action \"SCMP_ACT_NOPE\""),
                               ("seccomp=/nonexistent/p.json", "opening seccomp profile (/nonexistent/p.json) failed"),
                               ("apparmor=docker-default", "cnc applies no AppArmor profiles"),
                               ("bogus", "invalid --security-opt \"bogus\"")] {
            let e = try h.run(["--rm", "--name", "refused", "--security-opt", opt], ["true"])
            #expect(e.status == 125 && e.err.contains(message), "\(opt): \(e.err)")
        }
        #expect(try h.cnc(["ps", "-a", "--filter", "name=refused", "-q"]).out.isEmpty)
        #expect(try h.run(["--rm", "--security-opt", "apparmor=unconfined", "--security-opt", "label=disable"], ["true"]).status == 0)
    }

    /// --sysctl (namespaced only; written once the network is attached, /proc/sys stays
    /// read-only for the workload), --device (the node and its cgroup rule), --shm-size and
    /// --oom-score-adj, with Docker's checks.
    @Test func sysctlsDevicesShmAndOomScore() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let r = try h.run(["--rm", "--sysctl", "net.ipv4.ip_unprivileged_port_start=80", "--sysctl", "kernel.shmmax=123456"],
                          ["sh", "-c", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmax; echo 1 > /proc/sys/kernel/shmmax || echo read-only"])
        #expect(r.out == "80\n123456\nread-only\n", "\(r.out) \(r.err)")
        let notNamespaced = try h.run(["--rm", "--sysctl", "kernel.panic=1"], ["true"])
        #expect(notNamespaced.status == 125 && notNamespaced.err.contains("sysctl \"kernel.panic\" is not allowed"), "\(notNamespaced.err)")
        let hostNet = try h.run(["--rm", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1"], ["true"])
        #expect(hostNet.status == 125 && hostNet.err.contains("not allowed in host network namespace"), "\(hostNet.err)")

        // /dev/null as /dev/extra/mynull (1:3): made with its mode, usable, and allowed by the cgroup.
        let d = try h.run(["--rm", "--device", "/dev/null:/dev/extra/mynull:rw"],
                          ["sh", "-c", "stat -c '%t:%T %a' /dev/extra/mynull; echo x > /dev/extra/mynull && echo written"])
        #expect(d.out == "1:3 666\nwritten\n", "\(d.out) \(d.err)")
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/devices/devices.list") {
            // A node the container makes itself (it has CAP_MKNOD) is refused by the cgroup.
            // (10:229 is /dev/fuse: opening it does nothing, so an allowed open would be harmless.)
            let own = try h.run(["--rm"], ["sh", "-c", "mknod /dev/own c 10 229 && exec 3<>/dev/own; echo opened"])
            #expect(own.status != 0 && !own.out.contains("opened") && own.err.contains("Operation not permitted"), "\(own.out) \(own.err)")
        }
        let missing = try h.run(["--rm", "--device", "/dev/no-such-device"], ["true"])
        #expect(missing.status == 125 && missing.err.contains("/dev/no-such-device"), "\(missing.err)")
        let badPerm = try h.run(["--rm", "--device", "/dev/null:/dev/n:rwx"], ["true"])
        #expect(badPerm.status == 125 && badPerm.err.contains("not a subset of rwm"), "\(badPerm.err)")

        let shm = try h.run(["--rm", "--shm-size", "2m"], ["sh", "-c", "df -k /dev/shm | tail -1"])
        #expect(shm.out.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first == "2048", "\(shm.out)")
        let oom = try h.run(["--rm", "--oom-score-adj", "500"], ["cat", "/proc/self/oom_score_adj"])
        #expect(oom.out == "500\n", "\(oom.out) \(oom.err)")
        let range = try h.run(["--rm", "--oom-score-adj", "5000"], ["true"])
        #expect(range.status == 125 && range.err.contains("range for oom score adj is [-1000, 1000]"), "\(range.err)")
        #expect(try h.cnc(["ps", "-a", "-q"]).out.isEmpty)
    }

    /// docker's `container` management group, `top` with ps options, `logs --until`,
    /// `stats --format` and `container prune`.
    @Test func managementGroupTopLogsStatsAndPrune() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        try h.run(["-d", "--name", "up"], ["sh", "-c", "sleep 100 & exec sleep 200"])
        try h.run(["--name", "done1"], ["sh", "-c", "echo early; sleep 0.1; echo late"])
        try h.run(["--name", "done2", "-l", "keep=yes"], ["true"])
        #expect(try h.cnc(["container", "ls", "--format", "{{.Names}}"]).out == "up\n")
        #expect(Set(try h.cnc(["container", "list", "-a", "--format", "{{.Names}}"]).out.split(separator: "\n")) == ["up", "done1", "done2"])
        #expect(try h.cnc(["container", "inspect", "--format", "{{.Name}}", "up"]).out.contains("up"))
        let top = try h.cnc(["top", "up", "-o", "pid,comm"])
        let lines = top.out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(lines.first == ["PID", "COMMAND"] && lines.count == 3 && lines.dropFirst().allSatisfy { $0.last == "sleep" }, "\(top.out) \(top.err)")
        #expect(try h.cnc(["top", "up"]).out.hasPrefix("UID"))
        // The window comes from the log's own timestamps, not the wall clock: however long the
        // host takes between these commands, `late`'s stamp splits the two lines (--since is
        // inclusive, --until exclusive). Relative forms only with a margin no load reaches.
        let stamped = try h.cnc(["logs", "-t", "done1"]).out.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1) }
        #expect(stamped.map { $0.last.map(String.init) } == ["early", "late"], "\(stamped)")
        let late = String(stamped.last?.first ?? "")
        #expect(try h.cnc(["logs", "--until", late, "done1"]).out == "early\n")
        #expect(try h.cnc(["logs", "--since", late, "done1"]).out == "late\n")
        #expect(try h.cnc(["logs", "--since", "1h", "done1"]).out == "early\nlate\n")
        #expect(try h.cnc(["logs", "--until", "1h", "done1"]).out == "")
        #expect(try h.cnc(["logs", "--since", "yesterday", "done1"]).status != 0)
        let stats = try h.cnc(["stats", "--no-stream", "--format", "table {{.Name}}\t{{.PIDs}}", "up"])
        // A table format is aligned as docker's tabwriter aligns it (cells padded, not tabs).
        #expect(stats.out == "NAME      PIDS\nup        2\n", "\(stats.out) \(stats.err)")
        let prune = try h.cnc(["container", "prune", "-f", "--filter", "label=keep=yes"])
        #expect(prune.status == 0 && prune.out.hasPrefix("Deleted Containers:\n") && prune.out.contains("Total reclaimed space:"), "\(prune.out)")
        #expect(Set(try h.cnc(["ps", "-a", "--format", "{{.Names}}"]).out.split(separator: "\n")) == ["up", "done1"])
        #expect(try h.cnc(["container", "prune"], stdin: "n\n").out.contains("Are you sure"))
        #expect(Set(try h.cnc(["ps", "-a", "--format", "{{.Names}}"]).out.split(separator: "\n")) == ["up", "done1"])
        #expect(try h.cnc(["container", "prune", "--force"]).status == 0)
        #expect(try h.cnc(["ps", "-a", "--format", "{{.Names}}"]).out == "up\n")
    }

    /// /sys/fs/cgroup shows the container's own cgroups read-only (as Docker mounts them: what
    /// JVMs and Go runtimes read their limits from); --cgroupns private roots /proc/self/cgroup
    /// at the container's cgroup, for the workload and for exec.
    @Test func containerSeesItsCgroupsAndPrivateCgroupNamespace() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let v1 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes")
        let limitFile = v1 ? "/sys/fs/cgroup/memory/memory.limit_in_bytes" : "/sys/fs/cgroup/memory.max"
        let r = try h.run(["--rm", "-m", "40m"], ["sh", "-c", "cat \(limitFile); touch \(limitFile).x || echo ro; grep -c ' /sys/fs/cgroup' /proc/self/mountinfo"])
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0] == "41943040" && lines[1] == "ro" && (Int(lines[2]) ?? 0) >= 1, "\(r.out) \(r.err)")
        // Host cgroup namespace (Docker's default on v1): the full path; private: "/".
        let host = try h.run(["--rm"], ["sh", "-c", "grep -m1 -E ':(memory|):' /proc/self/cgroup"])
        #expect(host.out.contains("/cnc/"), "\(host.out)")
        try h.run(["-d", "--name", "cgp", "--cgroupns", "private"], ["sleep", "100"])
        let own = try h.cnc(["exec", "cgp", "sh", "-c", "grep -m1 -E ':(memory|):' /proc/self/cgroup"])
        #expect(own.out.hasSuffix(":/\n") && !own.out.contains("cnc"), "\(own.out) \(own.err)")
        let bad = try h.run(["--rm", "--cgroupns", "shared"], ["true"])
        #expect(bad.status == 125 && bad.err.contains("want host or private"))
    }

    /// This process's capability bounding set, as /proc/self/status shows it (hex).
    static func hostBoundingSet() throws -> String {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        return status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }?.split(separator: "\t").last.map(String.init) ?? "?"
    }

    /// docker exec --privileged: the command gets every capability the host lets us hold, while
    /// the container (and a plain exec) keeps the default set; the container's seccomp profile
    /// stays (moby changes only the exec's capabilities).
    @Test func execPrivilegedGetsEveryCapability() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let bounding = try Self.hostBoundingSet()
        try h.run(["-d", "--name", "ep"], ["sleep", "100"])
        let script = "grep -E '^(CapEff|Seccomp):' /proc/self/status | tr -d '\\t'"
        let plain = try h.cnc(["exec", "ep", "sh", "-c", script])
        #expect(plain.out == "CapEff:00000000a80425fb\nSeccomp:2\n", "\(plain.out) \(plain.err)")
        let priv = try h.cnc(["exec", "--privileged", "ep", "sh", "-c", script])
        #expect(priv.status == 0 && priv.out == "CapEff:\(bounding)\nSeccomp:2\n", "\(priv.out) \(priv.err)")
        // A privileged exec can do what the container cannot (CAP_SYS_ADMIN, NET_ADMIN).
        #expect(try h.cnc(["exec", "ep", "ip", "link", "set", "lo", "mtu", "1300"]).status != 0)
        let ip = try h.cnc(["exec", "--privileged", "ep", "ip", "link", "set", "lo", "mtu", "1300"])
        #expect(ip.status == 0, "\(ip.err)")
    }

    /// --privileged as Docker gives it: the host's capabilities, no seccomp, no_new_privs off,
    /// nothing masked, /sys writable, the host's devices and a devices cgroup that allows all.
    @Test func privilegedContainersGetTheHost() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let bounding = try Self.hostBoundingSet()
        // A host device the default set does not include, if this host has one.
        let hostDevice = ["/dev/loop-control", "/dev/kvm", "/dev/tty1", "/dev/vda", "/dev/sda"].first { FileManager.default.fileExists(atPath: $0) }
        let script = "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\\t'; grep -c ' /proc/keys ' /proc/self/mountinfo; "
            + "awk '$5 == \"/sys\" { split($6, o, \",\"); print \"sys-\" o[1] }' /proc/self/mountinfo; mknod /dev/own c 10 229 && exec 3<>/dev/own && echo own-ok; "
            + "test -e \(hostDevice ?? "/dev/null") && echo host-device"
        let r = try h.run(["--rm", "--privileged", "--name", "priv"], ["sh", "-c", script])
        #expect(r.out == "CapEff:\(bounding)\nNoNewPrivs:0\nSeccomp:0\n0\nsys-rw\nown-ok\nhost-device\n", "\(r.out) \(r.err)")
        try h.run(["-d", "--name", "pv", "--privileged"], ["sleep", "100"])
        #expect(try h.inspect("pv", "{{.HostConfig.Privileged}}") == "true")
        let plain = try h.run(["--rm"], ["sh", "-c", "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\\t'"])
        #expect(plain.out == "NoNewPrivs:1\nSeccomp:2\n", "\(plain.out)")
    }

    /// docker cp's tar streams (`CONTAINER:SRC -`, `- CONTAINER:DIR`), links copied as links
    /// unless -L, and a hostile tar on stdin refused with nothing written.
    @Test func cpStreamsTarsAndFollowsLinksOnlyWhenAsked() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        try h.run(["-d", "--name", "cps"], ["sh", "-c", "mkdir /data && echo d > /data/f && ln -s /data/f /lnk && sleep 100"])
        #expect(try h.eventually { try h.cnc(["exec", "cps", "test", "-L", "/lnk"]).status == 0 })
        func sh(_ script: String) throws -> Spawn.Captured {
            try Spawn.capture("/bin/sh", ["-c", script], environment: ["PATH=/usr/bin:/bin", "CNC=\(CNCHarness.binDir)/cnc", "ROOT=\(h.root)"])
        }
        let out = try sh("$CNC cp --root $ROOT cps:/data - | tar -tf -")
        #expect(String(decoding: out.stdout, as: UTF8.self) == "data/\ndata/f\n", "\(String(decoding: out.stderr, as: UTF8.self))")
        let into = try sh("d=$(mktemp -d) && echo hi > $d/new.txt && tar -C $d -cf - new.txt | $CNC cp --root $ROOT - cps:/data; rc=$?; rm -rf $d; exit $rc")
        #expect(into.termination == .exited(0), "\(String(decoding: into.stderr, as: UTF8.self))")
        #expect(try h.cnc(["exec", "cps", "cat", "/data/new.txt"]).out == "hi\n")
        let dest = "/tmp/cnc-cp-link-\(ContainerID.random().short)"
        defer { try? FileManager.default.removeItem(atPath: dest) }
        #expect(try h.cnc(["cp", "cps:/lnk", dest]).status == 0)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dest)) == "/data/f")
        try FileManager.default.removeItem(atPath: dest)
        #expect(try h.cnc(["cp", "-L", "cps:/lnk", dest]).status == 0)
        #expect((try? String(contentsOfFile: dest, encoding: .utf8)) == "d\n")
        let evil = try sh("python3 -c \"import tarfile,io,sys; b=io.BytesIO(); t=tarfile.open(fileobj=b,mode='w'); i=tarfile.TarInfo('../evil'); i.size=1; t.addfile(i, io.BytesIO(b'x')); t.close(); sys.stdout.buffer.write(b.getvalue())\" | $CNC cp --root $ROOT - cps:/data")
        #expect(evil.termination == .exited(125) && String(decoding: evil.stderr, as: UTF8.self).contains("refused entry \"../evil\""))
        #expect(try h.cnc(["exec", "cps", "ls", "/"]).out.split(separator: "\n").contains("evil") == false)
    }

    /// --device-read-bps / -write-bps / -read-iops / -write-iops reach the blkio (v2: io.max)
    /// files of the container's cgroup, named by the block device's numbers.
    @Test func blockDeviceThrottles() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        // Any block device of this host (the cgroup takes its numbers; nothing reads it).
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/block")) ?? []
        guard let disk = names.sorted().first(where: { FileManager.default.fileExists(atPath: "/dev/" + $0) }),
              let numbers = try? String(contentsOfFile: "/sys/class/block/\(disk)/dev", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        else { return }
        let v1 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device")
        let show = v1 ? "cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device"
            : "cat /sys/fs/cgroup/io.max"
        let r = try h.run(["--rm", "--device-read-bps", "/dev/\(disk):1mb", "--device-write-iops", "/dev/\(disk):100"], ["sh", "-c", show])
        let expected = v1 ? "\(numbers) 1048576\n\(numbers) 100\n" : "\(numbers) rbps=1048576 wbps=max riops=max wiops=100\n"
        #expect(r.out == expected, "\(r.out) \(r.err)")
        try h.run(["-d", "--name", "thr", "--device-read-bps", "/dev/\(disk):2mb"], ["sleep", "100"])
        #expect(try h.inspect("thr", "{{json .HostConfig.BlkioDeviceReadBps}}") == "[{\"Path\":\"/dev/block/\(numbers)\",\"Rate\":2097152}]")
        let bad = try h.run(["--rm", "--device-read-bps", "/dev/null:1mb"], ["true"])
        #expect(bad.status == 125 && bad.err.contains("/dev/null is not a block device"), "\(bad.err)")
    }

    /// --pid/--ipc/--uts host share the host's namespaces (and /dev/shm, and never set the
    /// host's name); other values are errors.
    @Test func hostNamespaceModes() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        func link(_ ns: String) -> String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/" + ns)) ?? "?" }
        let hostName = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
        let r = try h.run(["--rm", "--pid", "host", "--ipc", "host", "--uts", "host"],
                          ["sh", "-c", "for n in pid ipc uts; do readlink /proc/self/ns/$n; done; hostname; test $$ != 1 && echo not-pid-1"])
        #expect(r.out == "\(link("pid"))\n\(link("ipc"))\n\(link("uts"))\n\(hostName)not-pid-1\n", "\(r.out) \(r.err)")
        #expect(try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8) == hostName)
        let own = try h.run(["--rm"], ["sh", "-c", "readlink /proc/self/ns/ipc; echo $$"])
        #expect(!own.out.hasPrefix(link("ipc")) && own.out.hasSuffix("\n1\n"), "\(own.out)")
        let conflict = try h.run(["--rm", "--uts", "host", "--hostname", "x-\(ContainerID.random().short)"], ["true"])
        #expect(conflict.status == 125 && conflict.err.contains("conflicting options: hostname and the UTS mode"))
        let other = try h.run(["--rm", "--pid", "container:web"], ["true"])
        #expect(other.status == 125 && other.err.contains("only supported for --network"))
    }

    /// `-it` on a real terminal (a pty python drives): the container's terminal starts with the
    /// caller's size and follows a resize (SIGWINCH -> CLI -> monitor -> TIOCSWINSZ).
    @Test func ttyFollowsTheCallersWindowSize() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let script = """
        import os, pty, fcntl, termios, struct, time, subprocess, sys, select
        m, s = pty.openpty()
        def size(fd, r, c): fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))
        size(s, 20, 50)
        p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=s, stderr=s, start_new_session=True,
                             preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(s)
        time.sleep(0.5)
        size(m, 30, 90)
        out, end = b'', time.time() + 10
        while time.time() < end and p.poll() is None:
            if select.select([m], [], [], 0.1)[0]:
                try: out += os.read(m, 4096)
                except OSError: break
        p.wait()
        sys.stdout.write(out.decode(errors='replace').replace('\\r', ''))
        """
        let r = try Spawn.capture("/usr/bin/env", ["python3", "-c", script, CNCHarness.binDir + "/cnc", "run", "--root", h.root, "--rm", "-it",
                                                    "--rootfs", CNCHarness.rootfs, "busybox", "sh", "-c", "stty size; sleep 1; stty size"],
                                  environment: ["PATH=/usr/bin:/bin"])
        #expect(String(decoding: r.stdout, as: UTF8.self) == "20 50\n30 90\n", "\(String(decoding: r.stderr, as: UTF8.self))")
    }

    /// --group-add (names from the image's /etc/group or gids; for the workload and exec) and
    /// --cidfile (written at create; an existing file refuses the run).
    @Test func groupAddAndCIDFile() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let r = try h.run(["--rm", "--group-add", "nogroup", "--group-add", "4242"], ["grep", "Groups", "/proc/self/status"])
        #expect(r.out.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).dropFirst().sorted() == ["4242", "65534"], "\(r.out) \(r.err)")
        let missing = try h.run(["--rm", "--group-add", "no-such-group"], ["true"])
        #expect(missing.status == 125 && missing.err.contains("unable to find group no-such-group"), "\(missing.err)")
        let cid = "/tmp/cnc-cid-\(ContainerID.random().short)"
        defer { try? FileManager.default.removeItem(atPath: cid) }
        try h.run(["-d", "--name", "ga", "--group-add", "4242", "--cidfile", cid], ["sleep", "100"])
        #expect((try? String(contentsOfFile: cid, encoding: .utf8)) == (try h.inspect("ga", "{{.Id}}")))
        #expect(try h.cnc(["exec", "ga", "grep", "Groups", "/proc/self/status"]).out.contains("4242"))
        let again = try h.run(["--rm", "--cidfile", cid], ["true"])
        #expect(again.status == 125 && again.err.contains("container ID file found"), "\(again.err)")
    }

    @Test func cpWorksOnStoppedContainers() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        try h.run(["--name", "done"], ["sh", "-c", "echo saved > /root/out.txt; ln -s /../../../etc /root/esc"])
        let notRunning = try h.cnc(["exec", "done", "true"])
        #expect(notRunning.status == 1 && notRunning.err.contains("is not running"), "\(notRunning.err)")
        let out = "/tmp/cnc-cp-stopped-\(ContainerID.random().short)"
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: out + ".pw") }
        #expect(try h.cnc(["cp", "done:/root/out.txt", out]).status == 0)
        #expect((try? String(contentsOfFile: out, encoding: .utf8)) == "saved\n")
        #expect(try h.cnc(["cp", "done:/root/esc/passwd", out + ".pw"]).status == 0)
        #expect(((try? String(contentsOfFile: out + ".pw", encoding: .utf8)) ?? "").contains("nobody:x:65534:65534:nobody:/nonexistent"))
        #expect(try h.cnc(["cp", out, "done:/root/back.txt"]).status == 0)
        #expect(try h.cnc(["start", "-a", "done"]).status == 0)
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(h.root))
    }
}
