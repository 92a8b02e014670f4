import CNCMonitorCore
import Testing

@Suite struct HealthStateTests {
    static let s: Int64 = 1_000_000_000

    enum Event: Sendable, CustomStringConvertible {
        /// A check with this exit code, finished this long after the container's start.
        case check(Int32, at: Int64)
        case started, exited
        var description: String {
            switch self {
            case .check(let code, let at): "check(\(code) at \(at / HealthStateTests.s)s)"
            case .started: "started"
            case .exited: "exited"
            }
        }
    }

    static func run(_ events: [Event], _ settings: HealthCheckSettings) -> HealthState {
        var h = HealthState()
        for (i, e) in events.enumerated() {
            switch e {
            case .check(let code, let at):
                h.record(HealthCheckResult(start: Int64(i), end: Int64(i) + 1, exitCode: code, output: "\(i)"), sinceStart: at, settings: settings)
            case .started: h.containerStarted()
            case .exited: h.containerExited()
            }
        }
        return h
    }

    /// (retries, start period in s, events) -> (status, failing streak)
    static let cases: [(Int, Int64, [Event], HealthStatus, Int)] = [
        (3, 0, [], .starting, 0),
        (3, 0, [.check(0, at: 1 * s)], .healthy, 0),
        (3, 0, [.check(1, at: 1 * s)], .starting, 1),
        (3, 0, [.check(1, at: 1 * s), .check(1, at: 2 * s)], .starting, 2),
        (3, 0, [.check(1, at: 1 * s), .check(1, at: 2 * s), .check(1, at: 3 * s)], .unhealthy, 3),
        (3, 0, [.check(1, at: 1 * s), .check(1, at: 2 * s), .check(1, at: 3 * s), .check(2, at: 4 * s)], .unhealthy, 4),
        (3, 0, [.check(1, at: 1 * s), .check(1, at: 2 * s), .check(0, at: 3 * s)], .healthy, 0),
        (3, 0, [.check(0, at: 1 * s), .check(1, at: 2 * s)], .healthy, 1),
        (1, 0, [.check(0, at: 1 * s), .check(1, at: 2 * s)], .unhealthy, 1),
        (3, 0, [.check(1, at: 1 * s), .check(1, at: 2 * s), .check(1, at: 3 * s), .check(0, at: 4 * s)], .healthy, 0),
        // Failures in the start period do not count; a success there does.
        (1, 10, [.check(1, at: 1 * s), .check(1, at: 9 * s)], .starting, 0),
        (1, 10, [.check(1, at: 9 * s), .check(1, at: 10 * s)], .unhealthy, 1),
        (2, 10, [.check(0, at: 2 * s), .check(1, at: 3 * s)], .healthy, 0),
        (2, 10, [.check(1, at: 5 * s), .check(1, at: 11 * s), .check(1, at: 12 * s)], .unhealthy, 2),
        // A start begins again at `starting`; the end is unhealthy.
        (3, 0, [.check(0, at: 1 * s), .started], .starting, 0),
        (1, 0, [.check(1, at: 1 * s), .started], .starting, 0),
        (3, 0, [.check(0, at: 1 * s), .exited], .unhealthy, 0),
        (3, 0, [.check(1, at: 1 * s), .exited], .unhealthy, 1),
        (0, 0, [.check(1, at: 1 * s)], .unhealthy, 1),
    ]

    @Test(arguments: cases)
    func movesLikeDocker(_ retries: Int, _ startPeriod: Int64, _ events: [Event], _ status: HealthStatus, _ streak: Int) {
        let h = Self.run(events, HealthCheckSettings(retries: retries, startPeriod: startPeriod * Self.s))
        #expect(h.status == status)
        #expect(h.failingStreak == streak)
    }

    @Test(arguments: [0, 1, 5, 6, 12])
    func keepsTheLastFiveResults(_ n: Int) {
        let h = Self.run(Array(repeating: .check(0, at: 0), count: n), HealthCheckSettings())
        #expect(h.log.map(\.output) == (0..<n).suffix(5).map { "\($0)" })
    }

    /// (interval, start period, in s) -> first check delay
    @Test(arguments: [
        (Int64(30), Int64(0), Int64(1)), (30, 5, 5), (30, 60, 30), (2, 0, 1), (1, 0, 1), (5, 3, 3),
    ])
    func firstCheckComesAfterTheStartPeriod(_ interval: Int64, _ startPeriod: Int64, _ first: Int64) {
        #expect(HealthCheckSettings(interval: interval * Self.s, startPeriod: startPeriod * Self.s).firstCheckDelay == first * Self.s)
    }

    @Test(arguments: [(Int64(0), false), (30 * s, false), (30 * s + 1, true)])
    func timesOut(_ running: Int64, _ out: Bool) {
        #expect(HealthCheckSettings(timeout: 30 * Self.s).hasTimedOut(runningFor: running) == out)
    }
}
