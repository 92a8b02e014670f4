import CNCCore
import CNCPlanner
import Testing

/// Drift as pure functions: a plan back to the revision -> typed items (kind, subject, what,
/// expected, found); moved tags and edited files likewise.
@Suite struct DriftTests {
    typealias G = PlannerGoldenTests

    static func drift(_ desired: DesiredApp, _ observed: ObservedApp) -> [String] {
        Drift.items(plan: Planner.plan(desired: desired, observed: observed), observed: observed, expected: desired).map(\.line)
    }

    @Test func asAppliedIsNoDrift() {
        let app = G.app([G.web(), G.db()])
        #expect(Self.drift(app, G.observed(app)).isEmpty)
    }

    @Test func eachHandMadeChangeIsOneItem() throws {
        let app = G.app([G.web(replicas: 2, cpus: "0.5"), G.db()])
        var observed = G.observed(app)
        func index(_ id: String) throws -> Int { try #require(observed.containers.firstIndex { $0.id == id }) }
        let db1 = try index("db1"), web1 = try index("web1")
        observed.containers[db1].status = .exited
        observed.containers[db1].exitCode = 137
        observed.containers[web1].liveLimits.cpuQuota = 100_000   // cpus 1, set by hand
        observed.containers.remove(at: try index("web2"))
        observed.networks = []                           // the network removed
        #expect(Self.drift(app, observed) == [
            "default: removed — network missing: expected present, found missing",
            "shop-db-1: stopped — not running: expected running, found exited (exit code 137)",
            "shop-web-1: changed — cpus: expected 0.5, found 1",
            "shop-web-2: removed — container missing: expected running, found missing",
        ])
    }

    @Test func aConfigChangeNamesTheKeyAndBothValues() {
        let observed = G.observed(G.app([G.web(port: "81")]))
        let items = Drift.items(plan: Planner.plan(desired: G.app([G.web()]), observed: observed), observed: observed,
                                expected: G.app([G.web()]))
        #expect(items == [DriftItem(kind: .changed, service: "web", subject: "shop-web-1", what: "environment.PORT",
                                    expected: "\"80\"", found: "\"81\"")])
    }

    @Test func movedTagsAndEditedFiles() {
        let web = G.web()
        let moved = Drift.retagged(recorded: ["web:stable": G.d1.description, "postgres:16": G.d2.description],
                                   current: ["web:stable": G.d2, "postgres:16": G.d2], services: [web, G.db()])
        #expect(moved == [DriftItem(kind: .imageRetagged, service: "web", subject: "web:stable", what: "tag points to another image",
                                    expected: G.d1.description, found: G.d2.description)])
        let gone0: [String: Digest?] = ["web:stable": nil]
        let gone = Drift.retagged(recorded: ["web:stable": G.d1.description], current: gone0, services: [web])
        #expect(gone.first?.found == "missing")
        let now: [String: String?] = ["/a/app.yaml": "sha256:1", "/a/.env": "sha256:9", "/a/x.yaml": nil]
        let files = Drift.editedFiles(recorded: ["/a/app.yaml": "sha256:1", "/a/.env": "sha256:2", "/a/x.yaml": "sha256:3"], current: now)
        #expect(files.map(\.line) == [
            "/a/.env: spec-edited — file edited: expected sha256:2, found sha256:9",
            "/a/x.yaml: spec-edited — file removed: expected sha256:3, found missing",
        ])
    }
}
