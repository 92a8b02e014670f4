import CNCCore
import CNCState
import Foundation
import Testing

/// `--dry-run` on the real runtime: a pending replace (and network recreation) is shown with its
/// steps, and nothing changes — not a container, not a revision, not a network.
@Suite(.serialized) struct ApplyEndToEndDryRunTests {
    static func spec(env: String, label: String) -> String {
        """
        name: dry
        services:
          web:
            image: app:stable
            command: ["sleep", "1000"]
            stop_grace_period: 0s
            networks: [back]
            environment:
              V: "\(env)"
            healthcheck:
              test: ["CMD", "true"]
              interval: 100ms
              timeout: 1s
              retries: 1
            deploy:
              update_config: {order: start-first}
        networks:
          back:
            internal: true
            labels: {rev: "\(label)"}

        """
    }

    /// What a dry run must leave as it is.
    struct Snapshot: Equatable {
        var containers: [String: [String: String]]
        var ids: String
        var networks: String
        var revisions: [String]
        var records: [String]
    }

    static func snapshot(_ app: AppRoot) async throws -> Snapshot {
        let state = try StateDB(path: app.root + "/state.db")
        return Snapshot(
            containers: try app.containers(),
            ids: try CLI.run("cnc", ["ps", "-a", "-q", "--no-trunc", "--root", app.root]).stdout,
            networks: try CLI.run("cnc", ["network", "ls", "--format", "json", "--root", app.root]).stdout,
            revisions: try await state.revisions(project: "dry").map { "\($0.number) \($0.outcome.rawValue) \($0.configHashes)" },
            records: try await state.containers(project: "dry").map { "\($0.id) \($0.name) \($0.configHash)" })
    }

    @Test func aDryRunWithAPendingReplaceChangesNothing() async throws {
        let app = try AppRoot()
        let file = try app.write(Self.spec(env: "1", label: "1"))
        let first = try app.apply(["-f", file, "--wait"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let before = try await Self.snapshot(app)
        #expect(before.containers["dry-web-1"] != nil && before.revisions.count == 1)

        _ = try app.write(Self.spec(env: "2", label: "1"))
        let dry = try app.apply(["-f", file, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.contains("""
        web: replace — environment.V "1" -> "2"
          create dry-web-1-next
          start dry-web-1-next
          health gate dry-web-1-next: healthy within
        """), "\(dry.stdout)")
        #expect(dry.stdout.contains("""
          stop dry-web-1
          remove dry-web-1
          rename dry-web-1-next -> dry-web-1
        (dry run: nothing changed)
        """), "\(dry.stdout)")

        let json = try app.apply(["-f", file, "--dry-run", "-o", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        #expect(report["plan"]?["version"] == .int(2))
        guard case .array(let actions)? = report["plan"]?["actions"], let replace = actions.first(where: { $0["kind"] == .string("replace") }),
              case .array(let steps)? = replace["steps"] else {
            Issue.record("no replace with steps in \(json.stdout)")
            return
        }
        #expect(steps.map { $0["kind"] } == ["create", "start", "health-gate", "stop", "remove", "rename"].map { .string($0) })
        #expect(replace["target"]?["name"] == .string("web"))
        #expect(try await Self.snapshot(app) == before)

        // A network whose config changes: its container goes first, then the network is made
        // again and the container comes back on it. The dry run shows it and changes nothing.
        _ = try app.write(Self.spec(env: "2", label: "2"))
        let dryNet = try app.apply(["-f", file, "--dry-run"])
        #expect(dryNet.status == 0, "\(dryNet.stdout)\(dryNet.stderr)")
        #expect(dryNet.stdout.contains("""
        web: remove — network back recreated
        back: remove-network — config changed (recreated)
        back: create-network — config changed
        web: create — network back recreated
        """), "\(dryNet.stdout)")
        #expect(try await Self.snapshot(app) == before)

        // The change was real all along: diff still sees it, and a real apply makes it.
        #expect(try app.apply(["diff", "-f", file]).status == 2)
        let applied = try app.apply(["-f", file])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(try app.containers()["dry-web-1"]?["cnc.config-hash"] != before.containers["dry-web-1"]?["cnc.config-hash"])
        let inspect = try CLI.run("cnc", ["network", "inspect", "--root", app.root, "dry_back"])
        #expect(inspect.stdout.replacingOccurrences(of: " ", with: "").contains("\"rev\":\"2\""), "\(inspect.stdout)\(inspect.stderr)")
        #expect(try app.apply(["diff", "-f", file]).status == 0)
        #expect(try app.apply(["down", "-p", "dry"]).status == 0)
    }
}
