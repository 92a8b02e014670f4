import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// `cnc build` interrupted during a RUN (Ctrl-C, SIGTERM, kill -9) on the real kernel: no tag, no
/// container, no mount, no cgroup, no scratch directory and no RUN process remain (after kill -9,
/// cleared by the build's sentinel without another build), and the next build works.
@Suite(.serialized) struct BuildInterruptTests {
    /// The pids whose command line is exactly `argv`.
    static func pids(of argv: [String]) -> [pid_t] {
        let want = Array(argv.joined(separator: "\0").utf8) + [0]
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
            guard let pid = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            return Array(data) == want ? pid : nil
        }
    }

    /// The cgroup directories a process is in below the root (v2, or each v1 hierarchy).
    static func cgroups(of pid: pid_t) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return [] }
        let v2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified"
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3, f[2] != "/" else { return nil }
            let hierarchy = f[1].isEmpty ? v2 : "/sys/fs/cgroup/" + f[1].replacingOccurrences(of: "name=", with: "")
            return hierarchy + f[2]
        }
    }

    static func alive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }

    /// The build sentinels (`cnc-cli build-sentinel --root ROOT ...`) running for `root`.
    static func sentinels(_ root: String) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
            guard let pid = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let argv = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return argv.contains("build-sentinel") && argv.contains(root) ? pid : nil
        }
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"), arguments: [SIGINT, SIGTERM, SIGKILL])
    func interruptedRunLeavesNothing(signal: Int32) throws {
        let r = try BusyboxRoot()
        // A number no other process sleeps for, so the RUN's process is found by its argv alone.
        let seconds = String(700 + Int(getpid() % 200) + Int(signal))
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": "FROM bb:1\nRUN sleep \(seconds)\n"])
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        let errPath = r.dir + "/build-stderr-\(signal)"
        let errFD = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(errFD) }
        let pid = try r.start(["build", "--progress", "plain", "-t", "cut:1", ctx], fds: [devnull, devnull, errFD])
        var runPid: pid_t = 0
        #expect(r.eventually { runPid = Self.pids(of: ["sleep", seconds]).first ?? 0; return runPid > 0 }, "the RUN started")
        let groups = Self.cgroups(of: runPid)
        #expect(!groups.isEmpty && groups.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "\(groups)")
        _ = kill(pid, signal)
        let status = try Spawn.wait(pid)
        #expect(status.shellStatus != 0, "an interrupted build fails")
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        if signal != SIGKILL {
            // BuildKit's words and docker build's (buildx's) status for a canceled build,
            // whichever stop signal it was; nothing of the RUN's own failure.
            #expect(status == .exited(130), "\(status)")
            #expect(stderr.hasSuffix("ERROR: failed to solve: Canceled: context canceled\n"), "\(stderr)")
            #expect(!stderr.contains("did not complete successfully"), "\(stderr)")
            #expect(stderr.split(separator: "\n").contains { $0.hasPrefix("#") && $0.hasSuffix(" CANCELED") }, "BuildKit's step line: \(stderr)")
        }
        if signal == SIGKILL {
            // The RUN dies with the build (its init has PR_SET_PDEATHSIG), not at the next build.
            #expect(r.eventually(seconds: 3) { !Self.alive(runPid) }, "the RUN's process \(runPid) died with its build")
            // The rest (container, mounts, cgroups, scratch) goes with the build's sentinel,
            // without another build: nothing of the killed build waits for a next one.
            let scratch = r.root + "/build-tmp"
            let cleared = r.eventually(seconds: 10) {
                let mounts = (try? CLI.exec("/usr/bin/findmnt", ["-rn", "-o", "TARGET"]).stdout) ?? r.root
                let names = (try? r.cnc(["ps", "-a", "--format", "{{.Names}}"]).stdout) ?? "cnc-build-"
                return groups.allSatisfy { !FileManager.default.fileExists(atPath: $0) } && !mounts.contains(r.root)
                    && !names.contains("cnc-build-") && ((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).isEmpty
            }
            #expect(cleared, "the sentinel cleared the killed build's cgroups, mounts, container and scratch directory")
        }
        #expect(r.eventually(seconds: 10) { !Self.alive(runPid) }, "the RUN's process \(runPid) is gone")
        for g in groups { #expect(!FileManager.default.fileExists(atPath: g), "cgroup \(g) left") }
        #expect(try BuildCLITests.image(r, "inspect", ["cut:1"]).status != 0, "an interrupted build leaves no tag")
        let mounts = try CLI.exec("/usr/bin/findmnt", ["-rn", "-o", "TARGET"]).stdout
        #expect(!mounts.contains(r.root), "\(mounts)")
        try BuildCLITests.expectClean(r)
        // The next build works (and, after Ctrl-C or SIGTERM, needs no sweep to).
        try "FROM bb:1\nRUN echo again > /a\n".write(toFile: ctx + "/Dockerfile", atomically: false, encoding: .utf8)
        #expect(try r.cnc(["build", "-q", "-t", "again:1", ctx]).status == 0)
        try BuildCLITests.expectClean(r)
        // Each build's sentinel left with it (a finished build's says so; a killed one's swept).
        #expect(r.eventually(seconds: 5) { Self.sentinels(r.root).isEmpty }, "\(Self.sentinels(r.root))")
    }
}
