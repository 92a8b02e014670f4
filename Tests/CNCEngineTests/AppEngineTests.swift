import CNCCore
import CNCEngine
import CNCPlanner
import CNCState
import Foundation
import Testing

@Suite struct AppEngineTests {
    static func engine() throws -> (AppEngine, FakeBackend, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-engine-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let backend = FakeBackend()
        let engine = AppEngine(config: EngineConfig(stateRoot: dir), backend: backend, state: try StateDB(path: dir + "/state.db"),
                               executorOptions: ExecutorTests.fast)
        return (engine, backend, dir)
    }

    static func app(env: String, health: Bool = false, failure: UpdatePolicy.FailureAction = .pause) -> DesiredApp {
        DesiredApp(project: "p", services: [ExecutorTests.svc("web", env: env, health: health, order: .startFirst, failure: failure)],
                   networks: [DesiredNetwork(name: "default")])
    }

    static func request(_ app: DesiredApp) -> ApplyRequest {
        ApplyRequest(desired: app, spec: try! CanonicalJSON.string(app))
    }

    @Test func applyRecordsRevisionsOnlyForChanges() async throws {
        let (engine, backend, dir) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await engine.apply(Self.request(Self.app(env: "1")))
        #expect(first.revision == 1)
        #expect(first.plan.text == "default: create-network — new network\nweb: create — new service\n")
        let again = try await engine.apply(Self.request(Self.app(env: "1")))
        #expect(again.plan.isEmpty && again.revision == nil)
        let changed = try await engine.apply(Self.request(Self.app(env: "2")))
        #expect(changed.plan.text == "web: replace — environment.V \"1\" -> \"2\"\n")
        #expect(changed.revision == 2)
        #expect(try await engine.state.revisions(project: "p").map(\.outcome) == [.succeeded, .succeeded])
        #expect(try await engine.state.containers(project: "p").map(\.name) == ["p-web-1"])
        #expect(try await backend.listContainers(project: "p").map(\.name) == ["p-web-1"])
    }

    @Test func dryRunChangesNothing() async throws {
        let (engine, backend, dir) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var req = Self.request(Self.app(env: "1"))
        req.dryRun = true
        let r = try await engine.apply(req)
        #expect(r.plan.actions.count == 2 && r.report == nil && r.revision == nil)
        #expect(await backend.log.isEmpty)
        #expect(try await engine.state.revisions(project: "p").isEmpty)
    }

    @Test func savedPlanRefusesWhenStateMoved() async throws {
        let (engine, backend, dir) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await engine.apply(Self.request(Self.app(env: "1")))
        var req = Self.request(Self.app(env: "2"))
        let saved = try await engine.plan(req)
        // Someone removes the container between diff and apply.
        let id = try await backend.listContainers(project: "p")[0].id
        await backend.vanish(id)
        req.savedPlan = saved
        await #expect {
            try await engine.apply(req)
        } throws: { error in
            (error as? CNCError)?.description.hasPrefix("the saved plan is stale") == true
        }
    }

    @Test func driftRemovedContainerIsRecreated() async throws {
        let (engine, backend, dir) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await engine.apply(Self.request(Self.app(env: "1")))
        let id = try await backend.listContainers(project: "p")[0].id
        await backend.vanish(id)
        let r = try await engine.apply(Self.request(Self.app(env: "1")))
        #expect(r.plan.text == "web: create — container missing (removed outside cnc)\n")
        #expect(try await engine.state.containers(project: "p").map(\.name) == ["p-web-1"])
    }

    @Test func failedHealthGateRollsBackAutomatically() async throws {
        let (engine, backend, dir) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await backend.setHealth(service: "web", .healthy)
        let v1 = Self.app(env: "1", health: true, failure: .rollback)
        _ = try await engine.apply(Self.request(v1))
        await backend.setHealth(service: "web", .unhealthy)
        let v2 = Self.app(env: "2", health: true, failure: .rollback)
        let r = try await engine.apply(Self.request(v2)) { revision in
            try JSONDecoder().decode(DesiredApp.self, from: Data(revision.spec.utf8))
        }
        #expect(r.report?.rollbackRequested == true)
        // start-first kept v1 running, so going back changes nothing.
        #expect(r.rollback?.toRevision == 1)
        #expect(r.rollback?.plan.isEmpty == true)
        let outcomes = try await engine.state.revisions(project: "p").map { "\($0.number):\($0.outcome.rawValue):\($0.reason)" }
        #expect(outcomes == ["1:succeeded:apply", "2:rolled-back:apply", "3:succeeded:auto-rollback to 1"])
        #expect(try await backend.listContainers(project: "p").map(\.labels[AppLabels.configHash]) == [v1.services[0].configHash])
    }
}
