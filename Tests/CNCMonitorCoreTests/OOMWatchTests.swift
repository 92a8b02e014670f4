import CNCMonitorCore
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
