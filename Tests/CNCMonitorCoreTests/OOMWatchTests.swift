import CNCMonitorCore
import Foundation
import Glibc
import Testing

/// The counter reading OOMWatch shares with the monitor and the CLI (the watch itself runs on
/// a real cgroup in SystemdRuntimeTests and RuntimeAcceptanceTests).
struct OOMWatchTests {
    @Test(arguments: [
        ("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill", Int64(3)),
        ("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n", "oom_kill", 1),
        ("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n", "oom", 2),
        ("oom_kill_disable 0\nunder_oom 0\n", "oom_kill", 0),
        ("oom_kill x\n", "oom_kill", 0),
        ("", "oom_kill", 0),
    ])
    func counterValue(text: String, key: String, expected: Int64) {
        #expect(OOMWatch.value(of: key, in: Array(text.utf8)) == expected)
    }
}

/// The cgroup v2 watch on a real v2 hierarchy (the host's, or the hybrid layout's "unified"
/// one): cgroup.events' `populated` stands in for memory.events' `oom_kill`, as the kernel
/// notifies both the same way (POLLPRI on the open file). The watch sees the count rise while
/// the cgroup exists, keeps it once the cgroup is gone, stops polling a removed file, and is no
/// inotify instance (whose close would wait out an SRCU grace period at the container's exit).
@Suite(.serialized) struct OOMWatchV2Tests {
    static var v2Root: String? {
        guard getuid() == 0 else { return nil }
        for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] where access(root + "/cgroup.procs", F_OK) == 0
            && access(root + "/cgroup.events", F_OK) != 0 && access(root + "/cgroup.max.depth", F_OK) == 0 {
            return root
        }
        return nil
    }

    @Test func aV2WatchHearsTheCountRiseAndOutlivesTheCgroup() throws {
        guard let root = Self.v2Root else { return }
        let dir = root + "/cnc-oomwatch-test-\(getpid())"
        #expect(mkdir(dir, 0o755) == 0, "mkdir \(dir): \(errno)")
        defer { rmdir(dir) }
        let watch = try #require(OOMWatch(counterFile: dir + "/cgroup.events", key: "populated", start: 0))
        #expect(watch.watching && watch.pollEvents == Int16(POLLPRI))
        var link = [CChar](repeating: 0, count: 256)
        let n = readlink("/proc/self/fd/\(watch.fd)", &link, link.count - 1)
        #expect(n > 0 && String(cString: link).hasSuffix("/cgroup.events"), "the watch is the file itself, not an inotify instance")

        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        // SIGKILL: the test process's signal mask (which the child inherits) may block SIGTERM.
        defer { if sleeper.isRunning { kill(sleeper.processIdentifier, SIGKILL); sleeper.waitUntilExit() } }
        let pid = Array("\(sleeper.processIdentifier)".utf8)
        let procs = open(dir + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
        #expect(procs >= 0 && pid.withUnsafeBytes { write(procs, $0.baseAddress, $0.count) } == pid.count)
        close(procs)
        var p = pollfd(fd: watch.fd, events: watch.pollEvents, revents: 0)
        #expect(poll(&p, 1, 2000) == 1, "the change is reported")
        watch.noteEvents()
        #expect(poll(&p, 1, 0) == 0, "reading re-armed it: nothing more is pending")

        kill(sleeper.processIdentifier, SIGKILL)
        sleeper.waitUntilExit()
        var removed = false
        for _ in 0..<200 where !removed { removed = rmdir(dir) == 0; if !removed { usleep(10_000) } }
        #expect(removed, "the emptied cgroup is removed")
        watch.noteEvents()
        #expect(!watch.watching, "a removed file is not polled again")
        #expect(watch.oomKilled(killed: false), "the count seen while the cgroup existed is kept")
    }

    @Test func aV2WatchWithoutARiseSaysNo() throws {
        guard let root = Self.v2Root else { return }
        let dir = root + "/cnc-oomwatch-test-\(getpid())-quiet"
        #expect(mkdir(dir, 0o755) == 0)
        defer { rmdir(dir) }
        let watch = try #require(OOMWatch(counterFile: dir + "/cgroup.events", key: "populated", start: 0))
        watch.noteEvents()
        #expect(watch.watching)
        #expect(!watch.oomKilled(killed: true))
    }
}
