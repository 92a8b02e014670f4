/// The health check's timing (`--health-*`), all in nanoseconds.
public struct HealthCheckSettings: Equatable, Sendable {
    public var interval: Int64
    public var timeout: Int64
    /// Consecutive failures (outside the start period) that make the container unhealthy.
    public var retries: Int
    /// Failures in this time after a start do not count; a success still does.
    public var startPeriod: Int64

    public init(interval: Int64 = 30_000_000_000, timeout: Int64 = 30_000_000_000, retries: Int = 3, startPeriod: Int64 = 0) {
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.startPeriod = startPeriod
    }

    /// The first check after the first start: once the start period is over (at least 1 s
    /// in), but never later than one interval.
    public var firstCheckDelay: Int64 { min(interval, max(startPeriod, 1_000_000_000)) }

    public func isInStartPeriod(sinceStart: Int64) -> Bool { sinceStart < startPeriod }

    /// A check that has run longer than this is killed (and counts as failed).
    public func hasTimedOut(runningFor: Int64) -> Bool { runningFor > timeout }
}

public enum HealthStatus: String, Equatable, Sendable {
    case starting, healthy, unhealthy
}

/// One check's outcome, as state.json's Health.Log keeps it.
public struct HealthCheckResult: Equatable, Sendable {
    public var start: Int64
    public var end: Int64
    public var exitCode: Int32
    public var output: String

    public init(start: Int64, end: Int64, exitCode: Int32, output: String) {
        self.start = start
        self.end = end
        self.exitCode = exitCode
        self.output = output
    }
}

/// A container's health (state.json's Health) and how each event moves it. Pure.
public struct HealthState: Equatable, Sendable {
    public var status: HealthStatus
    public var failingStreak: Int
    /// The latest `logLimit` results, oldest first.
    public var log: [HealthCheckResult]

    public static let logLimit = 5

    public init(status: HealthStatus = .starting, failingStreak: Int = 0, log: [HealthCheckResult] = []) {
        self.status = status
        self.failingStreak = failingStreak
        self.log = log
    }

    /// A (re)started container is `starting` again; its log stays.
    public mutating func containerStarted() {
        status = .starting
        failingStreak = 0
    }

    /// A check finished `sinceStart` nanoseconds after the container (re)started. Success
    /// makes it healthy at once; a failure counts only after the start period, and
    /// `retries` of them in a row make it unhealthy.
    public mutating func record(_ result: HealthCheckResult, sinceStart: Int64, settings: HealthCheckSettings) {
        log.append(result)
        if log.count > Self.logLimit { log.removeFirst(log.count - Self.logLimit) }
        if result.exitCode == 0 {
            status = .healthy
            failingStreak = 0
        } else if !settings.isInStartPeriod(sinceStart: sinceStart) {
            failingStreak += 1
            if failingStreak >= settings.retries { status = .unhealthy }
        }
    }

    /// The container is gone for good (no restart follows).
    public mutating func containerExited() {
        status = .unhealthy
    }
}
