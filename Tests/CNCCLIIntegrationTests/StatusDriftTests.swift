import CNCCore
import Foundation
import Testing

/// `cncapply status` reports drift against the last revision, kind by kind, on the real
/// runtime: each change made by hand is named (what, expected, found), status exits 1, the JSON
/// `drift` list holds it, and the next apply of the same spec heals it (status clean after).
@Suite(.serialized) struct StatusDriftTests {
    struct Item: Decodable, Equatable { var kind: String; var service: String?; var subject: String; var what: String; var expected: String?; var found: String? }
    struct Report: Decodable { var drift: [Item]; var driftRevision: Int? }

    /// The shared two-service spec, web with a memory limit and `V` from .env.
    static func spec() -> String {
        CNCCLIIntegrationTests.spec("sd", env: "${V}")
            .replacingOccurrences(of: "    stop_grace_period: 0s\n    environment:", with: "    stop_grace_period: 0s\n    mem_limit: 64m\n    environment:")
    }

    /// status -p sd as JSON (its exit status, the drift items), checking text and JSON agree.
    func status(_ app: AppRoot) throws -> (Int32, [Item], String) {
        let json = try app.apply(["status", "-p", "sd", "-o", "json"])
        let text = try app.apply(["status", "-p", "sd"])
        #expect(json.status == text.status, "\(json.stdout)\(text.stdout)")
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        for item in report.drift { #expect(text.stdout.contains(item.subject + ": " + item.kind), "\(text.stdout)") }
        return (json.status, report.drift, text.stdout)
    }

    /// Applies the spec again and checks status is clean afterwards.
    func heal(_ app: AppRoot, _ file: String) throws {
        let r = try app.apply(["-f", file])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let (code, items, text) = try status(app)
        #expect(code == 0 && items.isEmpty, "\(text)")
        #expect(text.contains("Drift: none (as revision "), "\(text)")
    }

    @Test func eachKindIsReportedAndHealed() throws {
        let app = try AppRoot()
        let env = try app.write("V=1\n", name: ".env")
        let file = try app.write(Self.spec())
        #expect(try app.apply(["-f", file]).status == 0)
        var (code, items, text) = try status(app)
        #expect(code == 0 && items.isEmpty, "\(text)")

        // A limit changed by hand.
        #expect(try CLI.run("cnc", ["update", "--root", app.root, "--memory", "128m", "sd-web-1"]).status == 0)
        (code, items, text) = try status(app)
        #expect(code == 1)
        #expect(items == [Item(kind: "changed", service: "web", subject: "sd-web-1", what: "memory", expected: "64MiB", found: "128MiB")])
        #expect(text.contains("sd-web-1: changed — memory: expected 64MiB, found 128MiB"), "\(text)")
        try heal(app, file)

        // A container stopped by hand.
        #expect(try CLI.run("cnc", ["stop", "--root", app.root, "sd-worker-1"]).status == 0)
        (code, items, text) = try status(app)
        #expect(code == 1 && items.count == 1, "\(text)")
        #expect(items.first?.kind == "stopped" && items.first?.subject == "sd-worker-1" && items.first?.expected == "running", "\(items)")
        #expect(items.first?.found?.hasPrefix("exited") == true, "\(items)")
        try heal(app, file)

        // A replica removed by hand.
        #expect(try CLI.run("cnc", ["rm", "-f", "--root", app.root, "sd-worker-2"]).status == 0)
        (code, items, text) = try status(app)
        #expect(code == 1)
        #expect(items == [Item(kind: "removed", service: "worker", subject: "sd-worker-2", what: "container missing", expected: "running", found: "missing")])
        try heal(app, file)

        // A container re-created by hand (same name and app labels, not by cncapply).
        #expect(try CLI.run("cnc", ["rm", "-f", "--root", app.root, "sd-web-1"]).status == 0)
        let run = try CLI.run("cnc", ["run", "-d", "--root", app.root, "--name", "sd-web-1", "--network", "none", "--label", "cnc.project=sd",
                                      "--label", "cnc.service=web", "--label", "cnc.replica=1", "app:stable", "sleep", "1000"])
        #expect(run.status == 0, "\(run.stderr)")
        (code, items, text) = try status(app)
        #expect(code == 1 && items.count == 1, "\(text)")
        #expect(items.first?.kind == "changed" && items.first?.subject == "sd-web-1" && items.first?.what == "image", "\(items)")
        try heal(app, file)

        // The tag the revision resolved now names another image.
        let before = try #require(try app.containers()["sd-web-1"]?["cnc.image-digest"])
        try app.importImage("app:stable", marker: "v2")
        (code, items, text) = try status(app)
        #expect(code == 1 && items.count == 1, "\(text)")
        #expect(items.first?.kind == "image-retagged" && items.first?.subject == "docker.io/library/app:stable", "\(items)")
        #expect(items.first?.expected == before && items.first?.found != before, "\(items)")
        try heal(app, file)

        // The .env the spec read, and the spec itself, edited on the host.
        try "V=2\n".write(toFile: env, atomically: true, encoding: .utf8)
        (code, items, text) = try status(app)
        #expect(code == 1)
        #expect(items.map(\.kind) == ["spec-edited"] && items.first?.subject == env && items.first?.what == "file edited", "\(items)")
        try heal(app, file)
        _ = try app.write(Self.spec().replacingOccurrences(of: "replicas: 2", with: "replicas: 1"))
        (code, items, text) = try status(app)
        #expect(items.map(\.subject) == [file], "\(text)")
        try heal(app, file)
        #expect(Set(try app.containers().keys) == ["sd-web-1", "sd-worker-1"])

        #expect(try app.apply(["down", "-p", "sd"]).status == 0)
        let down = try app.apply(["status", "-p", "sd"])
        #expect(down.status == 0 && !down.stdout.contains("Drift"), "\(down.stdout)")
    }

    @Test func statusOfAnAppNeverAppliedIsAnError() throws {
        let app = try AppRoot()
        let r = try app.apply(["status", "-p", "nosuch"])
        #expect(r.status == 1)
        #expect(r.stderr == "Error: no such app: nosuch (never applied on this root; cncapply ls -a lists the apps)\n", "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
