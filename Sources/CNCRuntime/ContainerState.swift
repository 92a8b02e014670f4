import CNCCore
import CNCMonitorCore

/// The state the monitor records in state.json (Docker's State object), plus what cnc derives
/// (paused from the freezer, dead when the monitor vanished while running).
public struct ContainerState: Codable, Sendable, Equatable {
    public var status = ContainerStatus.created
    public var running = false
    public var paused = false
    public var restarting = false
    public var oomKilled = false
    public var dead = false
    public var pid: Int32 = 0
    public var exitCode: Int32 = 0
    public var signal: Int32 = 0
    public var error: String = ""
    public var startedAt: String = "0001-01-01T00:00:00Z"
    public var finishedAt: String = "0001-01-01T00:00:00Z"
    public var restartCount: Int = 0
    public var monitorPid: Int32 = 0
    /// The monitor's (or a direct run's CLI's) start time in clock ticks since boot; with the
    /// pid, its identity. nil in state written before it was recorded.
    public var monitorStart: Int64?
    public var health: Health?

    public struct Health: Codable, Sendable, Equatable {
        public var status: String
        public var failingStreak: Int
        public var log: [HealthLog]
        enum CodingKeys: String, CodingKey { case status = "Status", failingStreak = "FailingStreak", log = "Log" }
    }

    public struct HealthLog: Codable, Sendable, Equatable {
        public var start: String
        public var end: String
        public var exitCode: Int32
        public var output: String
        enum CodingKeys: String, CodingKey { case start = "Start", end = "End", exitCode = "ExitCode", output = "Output" }
    }

    enum CodingKeys: String, CodingKey {
        case status = "Status", running = "Running", paused = "Paused", restarting = "Restarting"
        case oomKilled = "OOMKilled", dead = "Dead", pid = "Pid", exitCode = "ExitCode", signal = "Signal"
        case error = "Error", startedAt = "StartedAt", finishedAt = "FinishedAt", restartCount = "RestartCount"
        case monitorPid = "MonitorPid", monitorStart = "MonitorStart", health = "Health"
    }

    public init() {}

    /// True while a workload process exists (running, paused or between restarts).
    public var isActive: Bool { status.isActive }
}

/// A container as stored: its configuration and its current state.
public struct Container: Sendable {
    public var config: ContainerConfig
    public var state: ContainerState
    public var directory: String

    /// The monitor's no-restart marker (Monitor.stopRequestPath), left by stop, kill and rm -f.
    public var stopRequestPath: String { Monitor.stopRequestPath(directory) }
}

extension Container {
    /// Docker's daemon words for a command that needs a running (or paused) container
    /// (errNotRunning / errNotPaused): `Container <full id> is not running`.
    public var notRunning: CNCError { CNCError(.conflict, "Container \(config.id.rawValue) is not running") }
    public var notPaused: CNCError { CNCError(.conflict, "Container \(config.id.rawValue) is not paused") }
}
