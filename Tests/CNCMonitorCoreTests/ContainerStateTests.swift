import CNCMonitorCore
import Foundation
import Testing

@Suite struct ContainerStateTests {
    static let t1: Int64 = 1_709_164_800_123_456_789  // 2024-02-29T00:00:00.123456789Z
    static let t2: Int64 = 1_709_164_801_000_000_000  // 2024-02-29T00:00:01.000000000Z

    static func running() -> ContainerState {
        var s = ContainerState()
        s.started(pid: 42, at: t1)
        s.restartCount = 2
        return s
    }

    /// state.json as the monitor has always written it (CNCRuntime reads this text).
    static let golden: [(String, ContainerState, String)] = [
        ("created", ContainerState(), #"{"Status":"created","Running":false,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":0,"Signal":0,"Error":"","StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"0001-01-01T00:00:00Z","RestartCount":0,"MonitorPid":7}"#),
        ("running", running(), #"{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":42,"ExitCode":0,"Signal":0,"Error":"","StartedAt":"2024-02-29T00:00:00.123456789Z","FinishedAt":"0001-01-01T00:00:00Z","RestartCount":2,"MonitorPid":7}"#),
        ("killed", {
            var s = running()
            s.status = .exited
            s.exitCode = 137
            s.signal = 9
            s.oomKilled = true
            s.finishedAt = t2
            return s
        }(), #"{"Status":"exited","Running":false,"Paused":false,"Restarting":false,"OOMKilled":true,"Dead":false,"Pid":0,"ExitCode":137,"Signal":9,"Error":"","StartedAt":"2024-02-29T00:00:00.123456789Z","FinishedAt":"2024-02-29T00:00:01.000000000Z","RestartCount":2,"MonitorPid":7}"#),
        ("restarting", {
            var s = running()
            s.status = .restarting
            return s
        }(), #"{"Status":"restarting","Running":false,"Paused":false,"Restarting":true,"OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":0,"Signal":0,"Error":"","StartedAt":"2024-02-29T00:00:00.123456789Z","FinishedAt":"0001-01-01T00:00:00Z","RestartCount":2,"MonitorPid":7}"#),
        ("failed start", {
            var s = ContainerState()
            s.status = .exited
            s.exitCode = 127
            s.error = "exec: \"nope\": executable file not found in $PATH"
            s.finishedAt = t2
            return s
        }(), #"{"Status":"exited","Running":false,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":127,"Signal":0,"Error":"exec: \"nope\": executable file not found in $PATH","StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"2024-02-29T00:00:01.000000000Z","RestartCount":0,"MonitorPid":7}"#),
        ("health", {
            var s = ContainerState()
            s.health = HealthState()
            s.started(pid: 42, at: t1)
            s.health?.record(HealthCheckResult(start: t1, end: t2, exitCode: 1, output: "no\n"), sinceStart: 1, settings: HealthCheckSettings())
            return s
        }(), #"{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":42,"ExitCode":0,"Signal":0,"Error":"","StartedAt":"2024-02-29T00:00:00.123456789Z","FinishedAt":"0001-01-01T00:00:00Z","RestartCount":0,"MonitorPid":7,"Health":{"Status":"starting","FailingStreak":1,"Log":[{"Start":"2024-02-29T00:00:00.123456789Z","End":"2024-02-29T00:00:01.000000000Z","ExitCode":1,"Output":"no\n"}]}}"#),
        ("health without checks", {
            var s = ContainerState()
            s.health = HealthState()
            return s
        }(), #"{"Status":"created","Running":false,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":0,"Signal":0,"Error":"","StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"0001-01-01T00:00:00Z","RestartCount":0,"MonitorPid":7,"Health":{"Status":"starting","FailingStreak":0,"Log":[]}}"#),
    ]

    @Test(arguments: golden)
    func writesStateJSON(_ name: String, _ state: ContainerState, _ json: String) throws {
        let text = state.json(monitorPid: 7)
        #expect(text == json + "\n")
        // And it is JSON Foundation reads.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["MonitorPid"] as? Int == 7)
    }

    @Test func aStartClearsThePreviousExit() {
        var s = ContainerState()
        s.health = HealthState(status: .unhealthy, failingStreak: 3)
        s.exitCode = 1
        s.signal = 9
        s.oomKilled = true
        s.error = "x"
        s.started(pid: 9, at: 5)
        #expect(s.status == .running && s.pid == 9 && s.startedAt == 5)
        #expect(s.exitCode == 0 && s.signal == 0 && !s.oomKilled && s.error.isEmpty)
        #expect(s.health == HealthState(status: .starting, failingStreak: 0))
    }
}
