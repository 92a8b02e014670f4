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

    /// The runtime is told before a plan that starts containers runs (it warms the cgroup
    /// migration lock then); never for a no-op, a dry run, or a plan that only removes.
    @Test func plansThatStartContainersAreAnnouncedToTheBackend() async throws {
        let (engine, backend, dir) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let prepared = { backend.preparedStarts.withLock { $0 } }
        _ = try await engine.apply(Self.request(Self.app(env: "1")))
        #expect(prepared() == 1, "a create")
        _ = try await engine.apply(Self.request(Self.app(env: "1")))
        #expect(prepared() == 1, "a no-op")
        var dry = Self.request(Self.app(env: "2"))
        dry.dryRun = true
        _ = try await engine.apply(dry)
        #expect(prepared() == 1, "a dry run")
        _ = try await engine.apply(Self.request(Self.app(env: "2")))
        #expect(prepared() == 2, "a replacement")
        var prune = Self.request(DesiredApp(project: "p", services: [], networks: [DesiredNetwork(name: "default")]))
        prune.options.prune = true
        let gone = try await engine.apply(prune)
        #expect(gone.plan.actions.map(\.kind) == [.remove], "\(gone.plan.text)")
        #expect(prepared() == 2, "a plan that only removes")
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

    @Test func aSavedPlanRoundTripsThroughJSONAndRuns() async throws {
        let (engine, backend, dir) = try Self.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await engine.apply(Self.request(Self.app(env: "1")))
        var req = Self.request(Self.app(env: "2"))
        let json = try CanonicalJSON.string(try await engine.plan(req), pretty: true)
        let saved = try JSONDecoder().decode(Plan.self, from: Data(json.utf8))
        // The spec moved on since the plan was saved: refused, nothing run.
        var moved = Self.request(Self.app(env: "3"))
        moved.savedPlan = saved
        await backend.clearLog()
        await #expect {
            try await engine.apply(moved)
        } throws: { error in
            (error as? CNCError)?.description.hasPrefix("the saved plan was made for service web at config") == true
        }
        #expect(await backend.log == ["sweep"])
        // The spec it was made for: the saved plan runs, its objects re-attached.
        req.savedPlan = saved
        await backend.clearLog()
        let r = try await engine.apply(req)
        #expect(r.report?.succeeded == true && r.revision == 2)
        #expect(await backend.log == ["sweep", "create p-web-1-next -> c2", "start p-web-1-next", "stop p-web-1", "remove p-web-1",
                                      "rename p-web-1-next -> p-web-1"])
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

actor FakeTagger: ImageTagger {
    var tags: [String: Digest] = [:]
    var moves: [String] = []
    func set(_ ref: String, _ d: Digest) { tags[ref] = d }
    func currentDigest(of reference: String) async throws -> Digest? { tags[reference] }
    func retag(_ reference: String, to digest: Digest) async throws {
        moves.append("\(reference) -> \(digest.short)")
        tags[reference] = digest
    }
}

@Suite struct RollbackTests {
    static let d1 = try! Digest("sha256:" + String(repeating: "11", count: 32))
    static let d2 = try! Digest("sha256:" + String(repeating: "22", count: 32))

    static func app(_ digest: Digest) -> DesiredApp {
        var s = ExecutorTests.svc("web")
        s.image = "web:stable"
        s.imageDigest = digest
        return DesiredApp(project: "p", services: [s])
    }

    @Test func rollbackRepointsTagsAndAppliesAsNewRevision() async throws {
        let (engine, _, dir) = try AppEngineTests.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tagger = FakeTagger()
        _ = try await engine.apply(AppEngineTests.request(Self.app(Self.d1)))
        // The tag moved to a new build, and v2 was applied.
        await tagger.set("web:stable", Self.d2)
        let v2 = try await engine.apply(AppEngineTests.request(Self.app(Self.d2)))
        #expect(v2.plan.text == "web: replace — image web:stable sha256:111111111111 -> sha256:222222222222\n")
        let decode: @Sendable (RevisionRecord) async throws -> DesiredApp = { r in
            try JSONDecoder().decode(DesiredApp.self, from: Data(r.spec.utf8))
        }
        let back = try await engine.rollback(project: "p", to: nil, current: nil, tagger: tagger, recompile: decode)
        #expect(await tagger.moves == ["web:stable -> sha256:111111111111"])
        #expect(back.plan.text == "web: replace — image web:stable sha256:222222222222 -> sha256:111111111111\n")
        #expect(back.revision == 3)
        #expect(try await engine.state.revisions(project: "p").last?.reason == "rollback to 1")
        await #expect {
            try await engine.rollback(project: "p", to: 9, current: nil, tagger: tagger, recompile: decode)
        } throws: { error in
            (error as? CNCError)?.description == "app p has no revision 9 (kept: 1, 2, 3)"
        }
    }
}
