import CNCCore
import CNCEngine
import CNCPlanner
import CNCState
import Foundation
import Testing

/// Causes in apps of several services: the planner must find each container's applied sections
/// even when another service runs the configuration it had before (regression: a changed
/// service of a 2-service app was reported as `cap_add added [] (+28 more)`).
@Suite struct MultiServiceCauseTests {
    static func app(_ envs: [String: String]) -> DesiredApp {
        DesiredApp(project: "p", services: envs.keys.sorted().map { ExecutorTests.svc($0, env: envs[$0] ?? "") },
                   networks: [DesiredNetwork(name: "default")])
    }

    @Test(arguments: [
        // Both services start identical, so s1's old hash is s2's current one.
        (["s1": "1", "s2": "1"], ["s1": "2", "s2": "1"], "s1: replace — environment.V \"1\" -> \"2\"\ns2: keep\n"),
        // Different configurations: s1 moves onto s2's old one, s2 onto s1's.
        (["s1": "1", "s2": "2"], ["s1": "2", "s2": "1"],
         "s1: replace — environment.V \"1\" -> \"2\"\ns2: replace — environment.V \"2\" -> \"1\"\n"),
        (["s1": "a", "s2": "b", "s3": "a"], ["s1": "a", "s2": "a", "s3": "b"],
         "s2: replace — environment.V \"b\" -> \"a\"\ns3: replace — environment.V \"a\" -> \"b\"\ns1: keep\n"),
    ])
    func causeNamesTheChangedKey(first: [String: String], second: [String: String], plan: String) async throws {
        let (engine, _, dir) = try AppEngineTests.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await engine.apply(AppEngineTests.request(Self.app(first)))
        // A no-op apply in between must stay a no-op and keep the records usable.
        let noop = try await engine.apply(AppEngineTests.request(Self.app(first)))
        #expect(noop.plan.isEmpty && noop.revision == nil)
        let changed = try await engine.apply(AppEngineTests.request(Self.app(second)))
        #expect(changed.plan.text == plan)
        // After the replacement, the next change names its cause from the new records.
        let back = try await engine.apply(AppEngineTests.request(Self.app(first)))
        let expectedBack = plan.replacingOccurrences(of: "\"1\" -> \"2\"", with: "\"2\" -> \"1\"")
        if first == ["s1": "1", "s2": "1"] { #expect(back.plan.text == expectedBack) }
        #expect(!back.plan.text.contains("added"))
    }
}
