/// What happens when the container's PID 1 exits (`--restart`): Docker's policies and backoff.
/// Pure: the monitor passes in what it observed and acts on the decision.
public struct RestartPolicy: Equatable, Sendable {
    public enum Mode: String, Equatable, Sendable {
        case no, always, unlessStopped = "unless-stopped", onFailure = "on-failure"
    }

    public var mode: Mode
    /// `on-failure:N` / restartmax: at most this many restarts; 0 or less means no limit.
    public var maximumRetryCount: Int

    public init(mode: Mode, maximumRetryCount: Int = 0) {
        self.mode = mode
        self.maximumRetryCount = maximumRetryCount
    }

    /// The CLI's spelling; a name the monitor does not know restarts nothing.
    public init(name: String, maximumRetryCount: Int = 0) {
        self.init(mode: Mode(rawValue: name) ?? .no, maximumRetryCount: maximumRetryCount)
    }

    public enum Decision: Equatable, Sendable {
        /// Record the exit and end the monitor.
        case exit
        /// Start the container again after this many nanoseconds.
        case restart(afterNanos: Int64)
    }

    /// The first delay, doubled per restart up to `maximumBackoff`; a run of `resetAfter` or
    /// longer starts over at the first delay.
    public static let initialBackoff: Int64 = 100_000_000
    public static let maximumBackoff: Int64 = 60_000_000_000
    public static let resetAfter: Int64 = 10_000_000_000

    /// - Parameters:
    ///   - exitCode: the exit code (128+signal for a signal) of the run that ended.
    ///   - restartCount: restarts so far (before this one).
    ///   - ranFor: how long that run lasted, in nanoseconds.
    ///   - stopRequested: `cnc stop` asked for the end; no policy overrides it.
    public func decide(exitCode: Int32, restartCount: Int, ranFor: Int64, stopRequested: Bool) -> Decision {
        guard !stopRequested else { return .exit }
        let withinLimit = maximumRetryCount <= 0 || restartCount < maximumRetryCount
        let restart = switch mode {
        case .always, .unlessStopped: withinLimit
        case .onFailure: exitCode != 0 && withinLimit
        case .no: false
        }
        return restart ? .restart(afterNanos: Self.backoff(restartCount: restartCount, ranFor: ranFor)) : .exit
    }

    /// Docker's backoff: 100 ms doubling per restart, capped at a minute, back to 100 ms after
    /// a run of 10 s or more.
    public static func backoff(restartCount: Int, ranFor: Int64) -> Int64 {
        if ranFor >= resetAfter { return initialBackoff }
        let exponent = Int64(min(max(restartCount, 0), 10))
        return min(initialBackoff << exponent, maximumBackoff)
    }
}
