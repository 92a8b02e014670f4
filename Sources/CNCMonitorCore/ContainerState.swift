/// What state.json records about the container: status, pid, exit code and signal, OOM kill,
/// times (nanoseconds since the epoch, 0 for never), restarts and health. The CLI
/// (CNCRuntime's ContainerState) reads it; the text is Docker's State object.
public struct ContainerState: Equatable, Sendable {
    public enum Status: String, Equatable, Sendable {
        case created, running, restarting, exited
    }

    public var status: Status = .created
    public var pid: Int32 = 0
    public var exitCode: Int32 = 0
    public var signal: Int32 = 0
    public var oomKilled = false
    public var error = ""
    public var startedAt: Int64 = 0
    public var finishedAt: Int64 = 0
    public var restartCount = 0
    /// nil without a health check.
    public var health: HealthState?

    public init() {}

    /// A start that reached the workload: running, and nothing left of the previous exit.
    public mutating func started(pid: Int32, at now: Int64) {
        self.pid = pid
        status = .running
        startedAt = now
        exitCode = 0
        signal = 0
        oomKilled = false
        error = ""
        health?.containerStarted()
    }

    /// state.json's text (one line).
    public func json(monitorPid: Int32, monitorStart: Int64 = 0) -> String {
        func t(_ n: Int64) -> String { RFC3339.formatOrZero(nanos: n) }
        let running = status == .running
        var s = "{\"Status\":\"\(status.rawValue)\",\"Running\":\(running),\"Paused\":false,"
        s += "\"Restarting\":\(status == .restarting),\"OOMKilled\":\(oomKilled),\"Dead\":false,"
        s += "\"Pid\":\(running ? pid : 0),\"ExitCode\":\(exitCode),\"Signal\":\(signal),"
        s += "\"Error\":\(JSONText.quoted(error)),\"StartedAt\":\"\(t(startedAt))\",\"FinishedAt\":\"\(t(finishedAt))\","
        s += "\"RestartCount\":\(restartCount),\"MonitorPid\":\(monitorPid)"
        if monitorStart > 0 { s += ",\"MonitorStart\":\(monitorStart)" }
        if let health {
            s += ",\"Health\":{\"Status\":\"\(health.status.rawValue)\",\"FailingStreak\":\(health.failingStreak),\"Log\":["
            s += health.log.map {
                "{\"Start\":\"\(t($0.start))\",\"End\":\"\(t($0.end))\",\"ExitCode\":\($0.exitCode),\"Output\":\(JSONText.quoted($0.output))}"
            }.joined(separator: ",")
            s += "]}"
        }
        return s + "}\n"
    }
}
