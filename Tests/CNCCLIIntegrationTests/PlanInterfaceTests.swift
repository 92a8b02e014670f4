import CNCCore
import Foundation
import Testing

/// `cncapply diff` as a CI interface: real plans (create, replace with causes, update-limits,
/// prune) validate against specs/plan.schema.json and equal the golden files in Golden/ once
/// hashes and ids are normalised; exit statuses are 0/2/1 with or without --exit-code; and
/// `apply --plan` refuses a plan the host moved away from, changing nothing.
@Suite(.serialized) struct PlanInterfaceTests {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// The shared two-service spec (ApplyEndToEndTests), web with a memory limit, and `old`.
    static func spec(env: String = "1", memory: String = "64m", workers: Int = 2, old: Bool = true) -> String {
        let extra = old ? "  old:\n    image: app:stable\n    command: [\"sleep\", \"1000\"]\n    network_mode: none\n" : ""
        return CNCCLIIntegrationTests.spec("gold", env: env, extra: extra)
            .replacingOccurrences(of: "    stop_grace_period: 0s\n    environment:", with: "    stop_grace_period: 0s\n    mem_limit: \(memory)\n    environment:")
            .replacingOccurrences(of: "replicas: 2", with: "replicas: \(workers)")
    }

    /// Validates `json` against the schema with a real JSON Schema validator.
    static func validate(_ json: String) throws {
        let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft7Validator.check_schema(schema)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(json.load(open(sys.argv[2])))]
        print("\\n".join(errors)); sys.exit(1 if errors else 0)
        """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).json").path
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try CLI.exec("/usr/bin/python3", ["-c", script, checkout.path + "/specs/plan.schema.json", file])
        #expect(r.status == 0, "plan does not match specs/plan.schema.json:\n\(r.stdout)\(r.stderr)\n\(json)")
    }

    /// Hashes, digests and container ids (64 hex digits) become `<hash>`.
    static func normalised(_ json: String) -> String {
        json.replacingOccurrences(of: "[0-9a-f]{64}", with: "<hash>", options: .regularExpression)
    }

    /// Compares with Golden/NAME.json (CNC_UPDATE_GOLDEN=1 rewrites it).
    static func matchGolden(_ json: String, _ name: String) throws {
        let path = golden.appendingPathComponent(name + ".json").path
        let got = normalised(json)
        if ProcessInfo.processInfo.environment["CNC_UPDATE_GOLDEN"] == "1" {
            try got.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let want = try String(contentsOfFile: path, encoding: .utf8)
        #expect(got == want, "Golden/\(name).json differs (CNC_UPDATE_GOLDEN=1 rewrites it):\n\(got)")
    }

    func diff(_ app: AppRoot, _ file: String, _ extra: [String] = []) throws -> CLI.Result {
        try app.apply(["diff", "-f", file, "-o", "json"] + extra)
    }

    @Test func realPlansMatchTheSchemaAndTheGoldenFiles() throws {
        let app = try AppRoot()
        let file = try app.write(Self.spec())
        let create = try diff(app, file, ["--exit-code"])
        #expect(create.status == 2, "\(create.stderr)")
        try Self.validate(create.stdout)
        try Self.matchGolden(create.stdout, "create")
        #expect(try app.apply(["-f", file]).status == 0)
        let inSync = try diff(app, file, ["--exit-code"])
        #expect(inSync.status == 0, "\(inSync.stdout)\(inSync.stderr)")
        try Self.validate(inSync.stdout)

        let replaceFile = try app.write(Self.spec(env: "2"), name: "replace.yaml")
        let replace = try diff(app, replaceFile)
        #expect(replace.status == 2)
        try Self.validate(replace.stdout)
        try Self.matchGolden(replace.stdout, "replace")

        let limitsFile = try app.write(Self.spec(memory: "128m"), name: "limits.yaml")
        let limits = try diff(app, limitsFile)
        #expect(limits.status == 2)
        try Self.validate(limits.stdout)
        try Self.matchGolden(limits.stdout, "update-limits")

        let pruneFile = try app.write(Self.spec(workers: 1, old: false), name: "prune.yaml")
        let prune = try diff(app, pruneFile, ["--prune"])
        #expect(prune.status == 2)
        try Self.validate(prune.stdout)
        try Self.matchGolden(prune.stdout, "prune")
        // --plan-out writes the same document.
        let out = app.dir + "/plan.json"
        #expect(try diff(app, pruneFile, ["--prune", "--plan-out", out]).status == 2)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == prune.stdout)

        // A spec error is exit 1, not "pending".
        let bad = try app.write(Self.spec().replacingOccurrences(of: "replicas: 2", with: "replicas: two"), name: "bad.yaml")
        #expect(try app.apply(["diff", "-f", bad, "--exit-code"]).status == 1)
        #expect(try app.apply(["down", "-p", "gold"]).status == 0)
    }

    @Test func applyPlanRefusesWhenTheHostMoved() throws {
        let app = try AppRoot()
        let file = try app.write(Self.spec(old: false))
        #expect(try app.apply(["-f", file]).status == 0)
        _ = try app.write(Self.spec(env: "2", old: false))
        let plan = app.dir + "/plan.json"
        #expect(try app.apply(["diff", "-f", file, "--plan-out", plan]).status == 2)

        // The host moves: a container stopped by hand. The saved plan is refused, nothing changes.
        #expect(try CLI.run("cnc", ["stop", "--root", app.root, "gold-worker-1"]).status == 0)
        let before = try app.containers()
        let stale = try app.apply(["apply", "-f", file, "--plan", plan])
        #expect(stale.status == 1)
        #expect(stale.stderr == "Error: the saved plan is stale: the app changed since it was made (run cncapply diff --plan-out again)\n",
                "\(stale.stderr)")
        #expect(try app.containers() == before)
        #expect(try app.apply(["history", "-p", "gold"]).stdout.split(separator: "\n").count == 2)

        // The spec moves on after the plan was made: refused too.
        #expect(try app.apply(["diff", "-f", file, "--plan-out", plan]).status == 2)
        _ = try app.write(Self.spec(env: "3", old: false))
        let moved = try app.apply(["apply", "-f", file, "--plan", plan])
        #expect(moved.status == 1)
        #expect(moved.stderr.hasPrefix("Error: the saved plan was made for service web at config "), "\(moved.stderr)")

        // A fresh plan runs.
        #expect(try app.apply(["diff", "-f", file, "--plan-out", plan]).status == 2)
        let ok = try app.apply(["apply", "-f", file, "--plan", plan])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(try app.apply(["diff", "-f", file]).status == 0)
        #expect(try app.apply(["down", "-p", "gold"]).status == 0)
    }
}
