import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// cncapply's `build:` on the real kernel: the same builder as `cnc build` (same inputs, same
/// image ID), the image tagged `<app>-<service>` (or `image:` and `build.tags`), a plan that
/// says why it rebuilt, no rebuild and no replacement for an unchanged context, rollback
/// re-pointing the tag, a dry run that builds nothing, and Dockerfile errors with path:line.
@Suite(.serialized) struct ApplyBuildCLITests {
    static let spec = """
        name: demo
        services:
          web:
            build: ./web
            init: true
          tool:
            image: tools/tool:2
            init: true
            build:
              context: ./web
              dockerfile_inline: |
                FROM bb:1
                ARG WHO
                RUN echo "hi $$WHO" > /who
                CMD ["sh", "-c", "cat /who; sleep 1000"]
              args: {WHO: there}
              labels: {org.example.built-by: cncapply}
              tags: ["tools/tool:latest"]
        """

    static let dockerfile = """
        FROM bb:1
        COPY msg.txt /msg.txt
        RUN echo built >> /msg.txt
        CMD ["sh", "-c", "cat /msg.txt; sleep 1000"]
        """

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func cncapply(_ r: BusyboxRoot, _ args: [String], in dir: String) throws -> CLI.Result {
        try CLI.exec(CLI.binDir + "/cncapply", ["--root", r.root] + args, cwd: dir)
    }

    static func imageID(_ r: BusyboxRoot, _ ref: String) throws -> String {
        try BuildCLITests.image(r, "inspect", ["--format", "{{.Id}}", ref]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func logs(_ r: BusyboxRoot, _ name: String, want: String) throws -> Bool {
        let ok = try r.eventually { try r.cnc(["logs", name]).stdout == want }
        if !ok { Issue.record("logs of \(name): \(try r.cnc(["logs", name]).stdout.debugDescription), want \(want.debugDescription)") }
        return ok
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func buildApplyRebuildRollback() throws {
        let r = try BusyboxRoot()
        let app = r.dir + "/app"
        try Self.write(app + "/app.yaml", Self.spec)
        try Self.write(app + "/web/Dockerfile", Self.dockerfile)
        try Self.write(app + "/web/msg.txt", "hello\n")
        try Self.write(app + "/web/.dockerignore", "notes.md\n")
        defer { _ = try? Self.cncapply(r, ["down"], in: app) }

        // A dry run says what it would build and builds nothing.
        let dry = try Self.cncapply(r, ["--dry-run"], in: app)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("web: an apply would build demo-web:latest from \(app)/web (Dockerfile)"), "\(dry.stdout)")
        #expect(dry.stdout.contains("tool: an apply would build tools/tool:2 from \(app)/web (dockerfile_inline)"), "\(dry.stdout)")
        #expect(!(try r.cnc(["images"]).stdout.contains("demo-web")))
        #expect(!FileManager.default.fileExists(atPath: r.root + "/build-cache"))

        // The apply builds both (BuildKit-style progress on stderr) and runs them.
        let first = try Self.cncapply(r, [], in: app)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("web: building demo-web:latest") && first.stdout.contains("web: create — new service"), "\(first.stdout)")
        #expect(first.stderr.contains("[2/3] COPY msg.txt /msg.txt") && first.stderr.contains("naming to docker.io/library/demo-web:latest done"),
                "\(first.stderr)")
        #expect(try Self.logs(r, "demo-web-1", want: "hello\nbuilt\n"))
        #expect(try Self.logs(r, "demo-tool-1", want: "hi there\n"))
        let built = try Self.imageID(r, "demo-web")
        #expect(built.hasPrefix("sha256:"))
        #expect(try Self.imageID(r, "tools/tool:latest") == Self.imageID(r, "tools/tool:2"))
        #expect(try BuildCLITests.image(r, "inspect", ["--format", "{{json .Config.Labels}}", "tools/tool:2"]).stdout.contains("cncapply"))

        // One builder: cnc build of the same inputs gives the same image ID.
        let same = try r.cnc(["build", "-q", "-t", "by-cli:1", app + "/web"])
        #expect(same.status == 0 && same.stdout == built + "\n", "\(same.stdout) \(same.stderr)")
        try Self.write(app + "/Dockerfile.tool", """
            FROM bb:1
            ARG WHO
            RUN echo "hi $WHO" > /who
            CMD ["sh", "-c", "cat /who; sleep 1000"]

            """)
        let tool = try r.cnc(["build", "-q", "-f", app + "/Dockerfile.tool", "--build-arg", "WHO=there",
                              "--label", "org.example.built-by=cncapply", app + "/web"])
        #expect(tool.stdout == (try Self.imageID(r, "tools/tool:2")) + "\n", "\(tool.stderr)")

        // Unchanged (or only an ignored file changed): cache hits, same image, no replacement.
        try Self.write(app + "/web/notes.md", "not in the image\n")
        let again = try Self.cncapply(r, [], in: app)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("demo: no changes"), "\(again.stdout)")
        #expect(again.stderr.contains("CACHED") && !again.stderr.contains("DONE 0.0s\n#3 [3/3] RUN echo built\n#3 DONE"), "\(again.stderr)")
        #expect(try Self.imageID(r, "demo-web") == built)
        // (tool's context changed too, but not what its build reads: no pending rebuild.)
        let inSync = try Self.cncapply(r, ["diff"], in: app)
        #expect(inSync.status == 0 && inSync.stdout.hasSuffix("demo: in sync\n"), "\(inSync.stdout)")

        // A changed context file: diff and a dry run see it without building ...
        try Self.write(app + "/web/msg.txt", "bye\n")
        let pending = "web: build context changed since demo-web:latest was built: msg.txt; an apply rebuilds demo-web:latest (steps not in the build cache)\n"
        let diff = try Self.cncapply(r, ["diff"], in: app)
        #expect(diff.status == 2 && diff.stdout.hasPrefix(pending) && !diff.stdout.contains("in sync"), "\(diff.stdout)")
        let dryChanged = try Self.cncapply(r, ["--dry-run"], in: app)
        #expect(dryChanged.status == 0 && dryChanged.stdout.contains(pending), "\(dryChanged.stdout)")
        #expect(try Self.imageID(r, "demo-web") == built)
        // ... and an apply rebuilds; the plan says which file and which digests.
        let changed = try Self.cncapply(r, [], in: app)
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stdout.contains("web: replace — build context changed: msg.txt; image rebuilt sha256:"), "\(changed.stdout)")
        #expect(!changed.stdout.contains("tool: replace"), "\(changed.stdout)")
        #expect(try Self.logs(r, "demo-web-1", want: "bye\nbuilt\n"))
        let rebuilt = try Self.imageID(r, "demo-web")
        #expect(rebuilt != built)

        // Rollback re-points the tag to the earlier build, like any tag.
        let back = try Self.cncapply(r, ["rollback"], in: app)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.stdout.contains("docker.io/library/demo-web:latest: re-pointed to sha256:"), "\(back.stdout)")
        #expect(back.stdout.contains("web: replace — image docker.io/library/demo-web:latest"), "\(back.stdout)")
        #expect(try Self.imageID(r, "demo-web") == built)
        #expect(try Self.logs(r, "demo-web-1", want: "hello\nbuilt\n"))
        // The tag went back while the context still says "bye": an apply would re-point it to the
        // cached build, and diff says so.
        let repoint = try Self.cncapply(r, ["diff"], in: app)
        #expect(repoint.status == 2 && repoint.stdout.contains("web: an apply re-points demo-web:latest to sha256:")
                && repoint.stdout.contains("(all steps cached)"), "\(repoint.stdout)")
        // A dry run plans with the image the cached build gives: the replacement an apply makes.
        let dryRepoint = try Self.cncapply(r, ["--dry-run"], in: app)
        #expect(dryRepoint.stdout.contains("web: replace — image rebuilt sha256:"), "\(dryRepoint.stdout)")

        // A broken Dockerfile: the error names its path and line; the app is left as it runs.
        try Self.write(app + "/web/Dockerfile", Self.dockerfile.replacingOccurrences(of: "RUN echo built >> /msg.txt", with: "RUN exit 3"))
        let broken = try Self.cncapply(r, [], in: app)
        #expect(broken.status == 1)
        #expect(broken.stderr.contains(
            "Error: service web: failed to build: web/Dockerfile:3: RUN: process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3"),
                "\(broken.stderr)")
        try Self.write(app + "/web/Dockerfile", "FROM bb:1\nCOPY missing.txt /x\n")
        let missing = try Self.cncapply(r, [], in: app)
        #expect(missing.status == 1 && missing.stderr.contains("Error: service web: failed to build: web/Dockerfile:2: COPY: \"/missing.txt\": not found"),
                "\(missing.stderr)")
        #expect(try Self.imageID(r, "demo-web") == built)
        #expect(try r.status("demo-web-1") == "running")
        try BuildCLITests.expectCleanOfBuilds(r)
    }

    /// `--watch` watches the build contexts and Dockerfiles, and an edit inside one context
    /// rebuilds and replaces only the service that builds from it.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func watchRebuildsOnlyTheServiceWhoseContextChanged() throws {
        let r = try BusyboxRoot()
        let app = r.dir + "/app"
        try Self.write(app + "/app.yaml", """
            name: w
            services:
              a: {build: ./a, init: true}
              b: {build: ./b, init: true}
            """)
        for s in ["a", "b"] {
            try Self.write(app + "/\(s)/Dockerfile", Self.dockerfile)
            try Self.write(app + "/\(s)/msg.txt", "\(s)1\n")
        }
        let watch = try BackgroundApply(["--watch", "--root", r.root], cwd: app)
        let text = watch.text
        defer {
            watch.stop()
            _ = try? Self.cncapply(r, ["down"], in: app)
        }
        #expect(text.wait(for: "watching", seconds: 60), "\(text.value)")
        #expect(text.value.contains("a: building") && text.value.contains("b: building"), "\(text.value)")
        let bImage = try Self.imageID(r, "w-b")
        let before = text.value.count
        try Self.write(app + "/a/msg.txt", "a2\n")
        #expect(text.wait(for: "changed: msg.txt", seconds: 30), "\(text.value)")
        #expect(text.wait(for: "revision 2 applied", seconds: 60), "\(text.value)")
        let after = String(text.value.dropFirst(before))
        #expect(after.contains("a: building w-a:latest") && !after.contains("b: building"), "\(after)")
        #expect(after.contains("a: replace — build context changed: msg.txt; image rebuilt"), "\(after)")
        #expect(!after.contains("b: replace"), "\(after)")
        #expect(try Self.imageID(r, "w-b") == bImage)
        #expect(try Self.logs(r, "w-a-1", want: "a2\nbuilt\n"))
        // Builds ran in this process (their RUN steps forward signals): Ctrl-C still stops it.
        kill(watch.process.processIdentifier, SIGINT)
        #expect(r.eventually(seconds: 10) { !watch.process.isRunning }, "cncapply --watch ignored SIGINT after a build")
    }

    /// Compose's `build.secrets`: a top-level secret (file or environment) reaches RUN
    /// --mount=type=secret by its id (`target` renames it) and lands nowhere in the store.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func buildSecretsReachTheirRunOnly() throws {
        let r = try BusyboxRoot()
        let app = r.dir + "/app"
        let secret = "compose-s3cr3t-\(UInt64.random(in: 0...UInt64.max))"
        try Self.write(app + "/token.txt", secret)
        try Self.write(app + "/app.yaml", """
            name: sec
            services:
              web:
                build:
                  context: ./web
                  secrets:
                    - token
                    - source: token
                      target: renamed
            secrets:
              token:
                file: ./token.txt
            """)
        try Self.write(app + "/web/Dockerfile", """
            FROM bb:1
            RUN --mount=type=secret,id=token --mount=type=secret,id=renamed,required=true cmp /run/secrets/token /run/secrets/renamed && wc -c < /run/secrets/token > /len
            CMD ["sh", "-c", "cat /len; sleep 1000"]
            """)
        defer { _ = try? Self.cncapply(r, ["down"], in: app) }
        let up = try Self.cncapply(r, [], in: app)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try Self.logs(r, "sec-web-1", want: "\(secret.utf8.count)\n"))
        #expect(BuildSecretTests.filesContaining(secret, under: r.root).isEmpty)
    }
}
