import CNCCore
import Foundation
import Testing

/// examples/gitops, run as the CI would run it: both CI files parse as YAML, and their jobs'
/// shell scripts (validate, plan, apply; the GitHub step that posts the comment needs GitHub and
/// is left out) run for real, in order, against a temp root with the example's apps, through
/// shims that log every cnc/cncapply command line. Every cncapply command the files contain
/// must have run and succeeded; the saved plans match specs/plan.schema.json; an apply after
/// the host moved is refused and changes nothing; a fresh plan then applies and status is clean.
@Suite(.serialized) struct GitOpsExampleTests {
    static let example = PlanInterfaceTests.checkout.appendingPathComponent("examples/gitops").path
    static let files = ["github": ".github/workflows/gitops.yml", "gitlab": ".gitlab-ci.yml"]

    struct Script: Decodable { var job: String; var name: String; var run: String }

    /// The shell scripts of `file`, by job, in file order (python3's yaml: a real YAML parser).
    static func scripts(_ ci: String) throws -> [Script] {
        let extract = """
        import json, sys, yaml
        doc = yaml.safe_load(open(sys.argv[1]))
        out = []
        if sys.argv[2] == "github":
            for job, spec in doc["jobs"].items():
                for step in spec.get("steps", []):
                    if "run" in step: out.append({"job": job, "name": step.get("name", ""), "run": step["run"]})
        else:
            for job, spec in doc.items():
                if isinstance(spec, dict) and "script" in spec:
                    for s in spec["script"]: out.append({"job": job, "name": "", "run": s})
        print(json.dumps(out))
        """
        let r = try CLI.exec("/usr/bin/python3", ["-c", extract, example + "/" + (files[ci] ?? ""), ci])
        #expect(r.status == 0, "\(files[ci] ?? ""): \(r.stderr)")
        return try JSONDecoder().decode([Script].self, from: Data(r.stdout.utf8))
    }

    /// The job's scripts run in `repo` as the CI's shell runs them; returns the last failure.
    static func runJob(_ job: String, _ scripts: [Script], repo: String, env: [String: String]) throws -> CLI.Result? {
        for s in scripts where s.job == job && !s.run.contains("gh pr comment") {
            let r = try CLI.exec("/bin/bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.run], env: env, cwd: repo)
            if r.status != 0 { return r }
        }
        return nil
    }

    @Test(arguments: ["github", "gitlab"]) func ciFilesRunForReal(_ ci: String) throws {
        let scripts = try Self.scripts(ci)
        #expect(Set(scripts.map(\.job)).isSuperset(of: ["validate", "plan", "apply"]), "\(scripts.map(\.job))")
        let app = try AppRoot()
        try app.importImage("busybox:1.36", marker: "bb")
        let repo = app.dir + "/repo", bin = app.dir + "/bin", log = app.dir + "/commands.log"
        try app.sh("cp -a '\(Self.example)' '\(repo)' && mkdir -p '\(bin)'")
        for tool in ["cnc", "cncapply"] {
            let shim = "#!/bin/sh\necho \"\(tool) $*\" >> '\(log)'\nexec '\(CLI.binDir + "/" + tool)' \"$@\"\n"
            try shim.write(toFile: bin + "/" + tool, atomically: true, encoding: .utf8)
            try app.sh("chmod +x '\(bin)/\(tool)'")
        }
        let port = try CLI.exec("/usr/bin/python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let env = ["CNC_ROOT": app.root, "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), "HELLO_PORT": port]
        defer {
            for name in ["hello", "api"] { _ = try? app.apply(["down", "-p", name]) }
        }

        // A pull request: validate and plan. Then the merge: plan on main and apply.
        for job in ["validate", "plan", "apply"] {
            let failed = try Self.runJob(job, scripts, repo: repo, env: env)
            #expect(failed == nil, "\(ci) \(job): \(failed.map { "\($0.stdout)\($0.stderr)" } ?? "")")
        }
        for name in ["hello", "api"] {
            try PlanInterfaceTests.validate(try String(contentsOfFile: repo + "/plans/\(name).json", encoding: .utf8))
            let status = try app.apply(["status", "-p", name])
            #expect(status.status == 0 && status.stdout.contains("Drift: none"), "\(status.stdout)\(status.stderr)")
        }
        let served = try CLI.exec("/usr/bin/python3", ["-c", "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:\(port)/', timeout=10).read().decode())"])
        #expect(served.stdout.contains("hello from gitops"), "\(served.stdout)\(served.stderr)")

        // Every cncapply command line of the file ran, and none failed to parse.
        let ran = try String(contentsOfFile: log, encoding: .utf8)
        let lines = scripts.filter { !$0.run.contains("gh pr comment") }.flatMap { $0.run.split(separator: "\n") }
            .filter { $0.contains("cncapply ") || $0.contains("cnc build") }
        #expect(lines.count >= 6, "\(lines)")
        for line in lines {
            let words = line.split(separator: " ")
            guard let i = words.firstIndex(where: { $0 == "cncapply" || $0 == "cnc" }), i + 1 < words.count else { continue }
            #expect(ran.contains("\(words[i]) \(words[i + 1]) "), "\(ci): never ran: \(line)\n\(ran)")
        }

        // The next change is planned; the host moves before the apply (api, the first app the
        // apply loop reaches): refused, the job fails there and nothing changes.
        try "api v2\n".write(toFile: repo + "/apps/api/message.txt", atomically: true, encoding: .utf8)
        #expect(try Self.runJob("plan", scripts, repo: repo, env: env) == nil)
        #expect(try CLI.run("cnc", ["stop", "--root", app.root, "api-api-1"]).status == 0)
        let before = try app.containers()
        let refused = try #require(try Self.runJob("apply", scripts, repo: repo, env: env))
        #expect(refused.stderr.contains("Error: the saved plan is stale: the app changed since it was made"), "\(refused.stderr)")
        #expect(try app.containers() == before)
        // Planned again, it applies (api rebuilt and replaced).
        #expect(try Self.runJob("plan", scripts, repo: repo, env: env) == nil)
        let applied = try Self.runJob("apply", scripts, repo: repo, env: env)
        #expect(applied == nil, "\(applied.map { "\($0.stdout)\($0.stderr)" } ?? "")")
        let logs = try app.apply(["logs", "-p", "api"])
        #expect(logs.stdout.contains("api v2"), "\(logs.stdout)\(logs.stderr)")
    }
}
