import CNCMonitorCore
import Testing

@Suite struct RestartPolicyTests {
    static let ms: Int64 = 1_000_000
    static let s: Int64 = 1_000_000_000

    @Test(arguments: [
        ("no", RestartPolicy.Mode.no), ("always", .always), ("unless-stopped", .unlessStopped),
        ("on-failure", .onFailure), ("", .no), ("sometimes", .no), ("Always", .no),
    ])
    func readsTheCLIsSpelling(_ name: String, _ mode: RestartPolicy.Mode) {
        #expect(RestartPolicy(name: name).mode == mode)
    }

    /// (policy, max, exit code, restarts so far, ran for, stop requested) -> restart?
    static let decisions: [(RestartPolicy.Mode, Int, Int32, Int, Int64, Bool, Bool)] = [
        (.no, 0, 1, 0, 0, false, false),
        (.no, 0, 0, 0, 0, false, false),
        (.always, 0, 0, 0, 0, false, true),
        (.always, 0, 1, 99, 0, false, true),
        (.always, 0, 0, 0, 0, true, false),
        (.always, 3, 0, 2, 0, false, true),
        (.always, 3, 0, 3, 0, false, false),
        (.always, -1, 0, 1000, 0, false, true),
        (.unlessStopped, 0, 0, 5, 0, false, true),
        (.unlessStopped, 0, 137, 5, 0, true, false),
        (.onFailure, 0, 0, 0, 0, false, false),
        (.onFailure, 0, 1, 0, 0, false, true),
        (.onFailure, 0, 143, 7, 0, false, true),
        (.onFailure, 2, 1, 1, 0, false, true),
        (.onFailure, 2, 1, 2, 0, false, false),
        (.onFailure, 2, 1, 0, 0, true, false),
    ]

    @Test(arguments: decisions)
    func decidesLikeDocker(_ mode: RestartPolicy.Mode, _ max: Int, _ code: Int32, _ restarts: Int, _ ranFor: Int64,
                           _ stop: Bool, _ restart: Bool) {
        let decision = RestartPolicy(mode: mode, maximumRetryCount: max)
            .decide(exitCode: code, restartCount: restarts, ranFor: ranFor, stopRequested: stop)
        if restart {
            #expect(decision == .restart(afterNanos: RestartPolicy.backoff(restartCount: restarts, ranFor: ranFor)))
        } else {
            #expect(decision == .exit)
        }
    }

    /// (restarts so far, ran for) -> delay: 100 ms doubling, at most a minute, reset by a 10 s run.
    static let backoffs: [(Int, Int64, Int64)] = [
        (0, 0, 100 * ms), (1, 0, 200 * ms), (2, 0, 400 * ms), (3, 5 * s, 800 * ms),
        (9, 0, 51_200 * ms), (10, 0, 60 * s), (11, 0, 60 * s), (500, 0, 60 * s),
        (5, 10 * s - 1, 3_200 * ms), (5, 10 * s, 100 * ms), (500, 3600 * s, 100 * ms), (0, 10 * s, 100 * ms),
    ]

    @Test(arguments: backoffs)
    func backsOff(_ restarts: Int, _ ranFor: Int64, _ delay: Int64) {
        #expect(RestartPolicy.backoff(restartCount: restarts, ranFor: ranFor) == delay)
    }

    @Test func anAlwaysPolicyDelaysGrowThenReset() {
        let policy = RestartPolicy(mode: .always)
        let delays = (0..<4).map { policy.decide(exitCode: 0, restartCount: $0, ranFor: Self.ms, stopRequested: false) }
        #expect(delays == [100, 200, 400, 800].map { .restart(afterNanos: $0 * Self.ms) })
        #expect(policy.decide(exitCode: 0, restartCount: 4, ranFor: 11 * Self.s, stopRequested: false) == .restart(afterNanos: 100 * Self.ms))
    }
}
