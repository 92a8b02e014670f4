import Foundation
import Testing

/// `cncapply validate` and `cncapply config` as a user runs them.
@Suite struct SpecCommandTests {
    final class Dir {
        let path = NSTemporaryDirectory() + "cnc-cli-spec-" + UUID().uuidString.lowercased()
        init(_ files: [String: String]) throws {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (n, t) in files { try t.write(toFile: path + "/" + n, atomically: true, encoding: .utf8) }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func run(_ args: [String], in dir: String, stdin: String? = nil) throws -> CLI.Result {
        try CLI.exec(CLI.binDir + "/cncapply", args, baseEnvironment: ["PATH": "/usr/bin:/bin", "HOME": "/home/user"],
                     stdin: stdin ?? "", cwd: dir)
    }

    static let good = "services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n"
    static let bad = "services:\n  web:\n    image: nginx\n    mem_limit: 512X\n    restart: allways\n  db:\n    depends_on: [ghost]\n"

    @Test func validateIsSilentOnSuccess() throws {
        let d = try Dir(["app.yaml": Self.good])
        for args in [["validate"], ["validate", "-f", "app.yaml"]] {
            let r = try run(args, in: d.path)
            #expect(r.status == 0)
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.isEmpty)
        }
    }

    @Test func validateListsEveryErrorAndExits1() throws {
        let d = try Dir(["app.yaml": Self.bad])
        let r = try run(["validate", "-f", "app.yaml"], in: d.path)
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == """
        app.yaml:4:16: services.web.mem_limit: "512X" is not a size (examples: 512m, 1g, 1.5GiB)
        app.yaml:5:14: services.web.restart: "allways" is not a restart policy (valid: no, always, on-failure[:N], unless-stopped) (did you mean "always"?)
        app.yaml:6:3: services.db: has neither image nor build (one of them is required)
        app.yaml:7:18: services.db.depends_on.ghost: unknown service "ghost"

        """)
    }

    @Test func validateWithoutASpecSaysWhatItLookedFor() throws {
        let d = try Dir([:])
        let r = try run(["validate"], in: d.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("app.yaml, compose.yaml, compose.yml"))
    }

    @Test func configIsByteStableAndReadsStdin() throws {
        let d = try Dir(["compose.yaml": Self.good])
        let a = try run(["config"], in: d.path)
        let b = try run(["config", "-f", "-", "-p", d.path.split(separator: "/").last.map(String.init)?.lowercased() ?? ""], in: d.path, stdin: Self.good)
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.contains("published: \"8080\""))
        let j1 = try run(["config", "-o", "json"], in: d.path), j2 = try run(["config", "--output", "json"], in: d.path)
        #expect(j1.stdout == j2.stdout)
        let obj = try JSONSerialization.jsonObject(with: Data(j1.stdout.utf8)) as? [String: Any]
        #expect((obj?["services"] as? [String: Any])?["web"] != nil)
    }

    @Test func overrideFilesAndProjectName() throws {
        let d = try Dir(["app.yaml": Self.good, "prod.yaml": "services:\n  web:\n    image: nginx:1.27\n"])
        let r = try run(["config", "-o", "json", "-f", "app.yaml", "-f", "prod.yaml", "-p", "shop"], in: d.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"docker.io/library/nginx:1.27\""))
        #expect(r.stdout.contains("\"name\": \"shop\""))
    }

    @Test func versionKeyWarnsButValidates() throws {
        let d = try Dir(["app.yaml": "version: '3'\n" + Self.good])
        let r = try run(["validate"], in: d.path)
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("warning: version: the top-level version is obsolete"))
    }

    /// Compose users put -f, -p, --env-file and --profile before the subcommand as often as after
    /// it (`docker compose -f app.yaml down`): both orders mean the same, for every subcommand.
    @Test func specOptionsBeforeOrAfterTheSubcommand() throws {
        let spec = "services:\n  web:\n    image: nginx:${TAG}\n  debug:\n    image: busybox\n    profiles: [debug]\n"
        let d = try Dir(["other.yaml": spec, "vars.env": "TAG=1.27\n"])
        let options = ["-f", "other.yaml", "-p", "shop", "--env-file", "vars.env", "--profile", "debug"]
        let after = try run(["config", "-o", "json"] + options, in: d.path)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stdout.contains("\"name\": \"shop\""))
        #expect(after.stdout.contains("nginx:1.27"))
        #expect(after.stdout.contains("\"debug\""))
        for before in [options + ["config", "-o", "json"], ["--file=other.yaml", "-pshop", "--env-file=vars.env", "--profile", "debug", "config", "-o", "json"]] {
            let r = try run(before, in: d.path)
            #expect(r.status == 0, "\(before): \(r.stderr)")
            #expect(r.stdout == after.stdout, "\(before)")
        }
        // Without --profile, a service with profiles: is left out, as in Compose.
        let plain = try run(["-f", "other.yaml", "--env-file", "vars.env", "config", "-o", "json"], in: d.path)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stdout.contains("\"debug\""))
        #expect(try run(["-f", "other.yaml", "--env-file", "vars.env", "validate"], in: d.path).status == 0)
        // The engine commands, against an empty state root: each parses (no "Unexpected argument").
        let root = d.path + "/root"
        for sub in ["down", "ps", "status", "history", "logs", "diff"] {
            let r = try run(["--root", root] + options + [sub], in: d.path)
            #expect(!r.stderr.contains("Unexpected argument") && !r.stderr.contains("Unknown option"), "\(sub): \(r.stderr)")
            #expect(r.status != 64, "\(sub): \(r.stderr)")
        }
        // Options then flags of the default apply stay the default apply.
        let dry = try run(["--root", root, "-f", "other.yaml", "--env-file", "vars.env", "--dry-run"], in: d.path)
        #expect(!dry.stderr.contains("Unexpected argument"), "\(dry.stderr)")
    }

    /// A spec's build: validates (no warning, config prints it as written, without an image
    /// name); Compose's build keys cnc's builder lacks are refused at their key, plainly.
    @Test func buildValidatesAndRefusesWhatIsNotBuilt() throws {
        let d = try Dir(["app.yaml": "services:\n  web:\n    build: .\n",
                         "secrets.yaml": "services:\n  web:\n    image: busybox\n    build:\n      context: .\n      ssh: [default]\n",
                         "undefined.yaml": "services:\n  web:\n    build:\n      context: .\n      secrets: [token]\n"])
        let v = try run(["validate"], in: d.path)
        #expect(v.status == 0 && v.stderr.isEmpty, "\(v.stderr)")
        let config = try run(["config"], in: d.path)
        #expect(config.status == 0 && config.stderr.isEmpty, "\(config.stderr)")
        #expect(config.stdout.contains("build:") && !config.stdout.contains("image:"), "\(config.stdout)")
        let secrets = try run(["validate", "-f", "secrets.yaml"], in: d.path)
        #expect(secrets.status == 1)
        #expect(secrets.stderr == "secrets.yaml:6:7: services.web.build.ssh: not supported yet: build ssh agents (RUN --mount=type=ssh is not supported by cnc build yet)\n",
                "\(secrets.stderr)")
        let undefined = try run(["validate", "-f", "undefined.yaml"], in: d.path)
        #expect(undefined.status == 1 && undefined.stderr.contains("services.web.build.secrets[0]: undefined secret \"token\""), "\(undefined.stderr)")
        // An apply stops there too: nothing is pulled, built or created.
        let root = d.path + "/root"
        let apply = try run(["--root", root, "-f", "secrets.yaml"], in: d.path)
        #expect(apply.status == 1 && apply.stdout.isEmpty, "\(apply.stdout)")
        #expect(try CLI.run("cnc", ["--root", root, "images", "-q"]).stdout.isEmpty)
        let build = try CLI.run("cnc", ["--root", d.path + "/root", "build", "-t", "x", "."])
        // cnc build itself exists: without a Dockerfile in the context it says so.
        #expect(build.status == 1, "\(build.stderr)")
        #expect(build.stderr == "Error: failed to read dockerfile: open Dockerfile: no such file or directory\n", "\(build.stderr)")
    }
}
