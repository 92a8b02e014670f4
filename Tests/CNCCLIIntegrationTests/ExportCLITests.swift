import CNCState
import CNCTestSupport
import Foundation
import Testing

/// `cncapply export` as a user runs it: losses on stderr at their keys, `--strict`, `-o DIR`,
/// nothing touched in the state root, and `--push` to a real registry.
@Suite struct ExportCLITests {
    final class App {
        let dir: TempDir
        var root: String { dir.path + "/root" }
        init(_ yaml: String) throws {
            dir = try TempDir("cnc-export")
            try yaml.write(toFile: dir.path + "/app.yaml", atomically: true, encoding: .utf8)
        }

        func cncapply(_ args: [String]) throws -> CLI.Result {
            try CLI.exec(CLI.binDir + "/cncapply", ["export", "--root", root] + args,
                         baseEnvironment: ["PATH": "/usr/bin:/bin", "HOME": "/home/user"], cwd: dir.path)
        }
    }

    static let spec = """
    name: shop
    services:
      web:
        image: nginx:1.27
        ports: ["8080:80"]
        cpu_shares: 512
        volumes:
          - /srv/www/html:/usr/share/nginx/html:ro

    """

    @Test func stdoutIsOneStreamAndLossesPointAtTheirKeys() throws {
        let app = try App(Self.spec)
        let r = try app.cncapply(["--to", "kubernetes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == """
        app.yaml:6:17: services.web.cpu_shares: not exported to kubernetes: Kubernetes has no per-container setting for it
        app.yaml:8:9: services.web.volumes[0]: not exported to kubernetes: bind mount of /srv/www/html becomes a hostPath volume: that path must exist on every node the pod may run on

        """)
        #expect(r.stdout.hasPrefix("---\napiVersion: v1\nkind: Namespace\n"))
        // One document per object: as many "---" separators as "kind:" lines.
        #expect(r.stdout.components(separatedBy: "---\n").count == r.stdout.components(separatedBy: "\nkind: ").count)
        // Pure: the state root was never created, and a second run gives the same bytes.
        #expect(!FileManager.default.fileExists(atPath: app.root))
        #expect(try app.cncapply(["--to", "kubernetes"]).stdout == r.stdout)
    }

    @Test func strictFailsAndWritesNothing() throws {
        let app = try App(Self.spec)
        let out = app.dir.path + "/k8s"
        let r = try app.cncapply(["--to", "kubernetes", "--strict", "-o", out])
        #expect(r.status == 1)
        #expect(r.stderr.contains("services.web.cpu_shares: not exported to kubernetes"))
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try app.cncapply(["--to", "compose", "--strict", "-o", out]).status == 0)
        #expect(FileManager.default.fileExists(atPath: out + "/compose.yaml"))
    }

    @Test func outputDirectoryHoldsOneFilePerObjectAndAKustomization() throws {
        let app = try App(Self.spec)
        let out = app.dir.path + "/k8s"
        let r = try app.cncapply(["--to", "kubernetes", "-o", out, "--namespace", "prod"])
        #expect(r.status == 0, "\(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["deployment-web.yaml", "kustomization.yaml", "namespace-prod.yaml", "networkpolicy-network-default.yaml",
                          "networkpolicy-published-web.yaml", "service-web-published.yaml", "service-web.yaml"])
        #expect(!files.contains { $0.contains("srv") || $0.contains("html") })
        let k = try String(contentsOfFile: out + "/kustomization.yaml", encoding: .utf8)
        for f in files where f != "kustomization.yaml" { #expect(k.contains("  - \(f)\n")) }
    }

    @Test func badInputIsAClearError() throws {
        let ok = try App(Self.spec)
        for (args, message) in [(["--to", "kubernetes", "--push"], "--push needs --image-registry"),
                                (["--to", "swarm", "--namespace", "x"], "--namespace applies to --to kubernetes only"),
                                (["--to", "kubernetes", "--namespace", "Not_OK"], "invalid --namespace \"Not_OK\""),
                                (["--to", "helm"], "helm")] {
            let e = try ok.cncapply(args)
            #expect(e.status != 0)
            #expect(e.stderr.hasPrefix("Error: "), "\(e.stderr)")
            #expect(e.stderr.contains(message), "\(e.stderr)")
        }
    }

    @Test func projectNameAloneExportsTheFilesTheAppWasAppliedFrom() async throws {
        let app = try App(Self.spec)
        try FileManager.default.createDirectory(atPath: app.root, withIntermediateDirectories: true)
        let db = try StateDB(path: app.root + "/state.db")
        try await db.recordApp(project: "shop", specFiles: ["app.yaml"], workingDirectory: app.dir.path, now: 0)
        let elsewhere = try TempDir("cnc-export-cwd")
        let run = { (name: String) in
            try CLI.exec(CLI.binDir + "/cncapply", ["export", "--root", app.root, "-p", name, "--to", "compose"],
                         baseEnvironment: ["PATH": "/usr/bin:/bin", "HOME": "/home/user"], cwd: elsewhere.path)
        }
        let r = try run("shop")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("image: \"nginx:1.27\""))
        let missing = try run("ghost")
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("Error: no such app: ghost"))
    }

    static var hasRegistry: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry") }

    @Test(.enabled(if: hasRegistry, "needs Debian's docker-registry"))
    func pushSendsTheRewrittenImagesToTheRegistry() throws {
        let app = try App("name: pushed\nservices:\n  web:\n    image: bb:1\n    command: [\"httpd\", \"-f\"]\n")
        let tar = app.dir.path + "/bb.tar"
        let made = try CLI.exec("/usr/bin/env", ["python3", "-c", "import tarfile,sys; t=tarfile.open(sys.argv[1],'w'); t.add('/bin/busybox', arcname='bin/busybox'); t.close()", tar])
        #expect(made.status == 0, "\(made.stderr)")
        let imp = try CLI.exec(CLI.binDir + "/cnc", ["import", "--root", app.root, tar, "bb:1"])
        #expect(imp.status == 0, "\(imp.stderr)")
        let registry = try TestRegistry()
        let out = app.dir.path + "/stack"
        let r = try app.cncapply(["--to", "swarm", "--image-registry", registry.host, "--push", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let stack = try String(contentsOfFile: out + "/stack.yaml", encoding: .utf8)
        let digest = try Self.manifestDigest(registry, "bb", "1")
        #expect(stack.contains("image: \"\(registry.host)/bb:1@\(digest)\""), "\(stack)")
    }

    /// The digest the registry serves NAME:TAG's manifest under ("none" when it has none).
    static func manifestDigest(_ registry: TestRegistry, _ name: String, _ tag: String) throws -> String {
        let head = try CLI.exec("/usr/bin/curl", ["-sfI", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                                                  "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json",
                                                  "http://\(registry.host)/v2/\(name)/manifests/\(tag)"])
        #expect(head.status == 0, "the registry has no \(name):\(tag): \(head.stderr)")
        return head.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("docker-content-digest:") }?
            .split(separator: " ").last.map(String.init) ?? "none"
    }

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func export(_ r: BusyboxRoot, _ args: [String], in dir: String) throws -> CLI.Result {
        try CLI.exec(CLI.binDir + "/cncapply", ["export", "--root", r.root] + args, cwd: dir)
    }

    /// build: services are built by cnc's builder (progress on stderr), exported as that image
    /// pinned by digest, rewritten and pushed like any local image; a Dockerfile error fails
    /// the export at its path:line with nothing written.
    @Test(.enabled(if: BusyboxRoot.canRun && hasRegistry, "needs root, the built binaries and Debian's docker-registry"))
    func buildServicesAreBuiltPinnedAndPushed() throws {
        let r = try BusyboxRoot()
        let app = r.dir + "/app"
        try Self.write(app + "/app.yaml", "name: demo\nservices:\n  web:\n    build: ./web\n    command: [\"httpd\", \"-f\"]\n")
        try Self.write(app + "/web/Dockerfile", "FROM bb:1\nRUN echo built > /msg\n")
        let k = try Self.export(r, ["--to", "kubernetes"], in: app)
        #expect(k.status == 0, "\(k.stderr)")
        #expect(k.stderr.contains("web: building demo-web:latest\n"), "\(k.stderr)")
        #expect(k.stderr.contains("RUN echo built > /msg"), "\(k.stderr)")
        #expect(k.stderr.contains("app.yaml:4:12: services.web.build: not exported to kubernetes: a cluster does not build images: exported as the image cnc built, demo-web:latest@sha256:"), "\(k.stderr)")
        #expect(k.stdout.contains("image: \"demo-web:latest@sha256:"), "\(k.stdout)")
        #expect(!k.stdout.contains("#1 "), "build progress belongs on stderr")
        // Built again: all cache hits, the same image, the same bytes.
        let again = try Self.export(r, ["--to", "kubernetes"], in: app)
        #expect(again.stdout == k.stdout)
        #expect(again.stderr.contains("CACHED"), "\(again.stderr)")

        // --push sends the built image to the registry under the digest the stack names.
        let registry = try TestRegistry()
        let out = app + "/stack"
        let s = try Self.export(r, ["--to", "swarm", "--image-registry", registry.host, "--push", "-o", out], in: app)
        #expect(s.status == 0, "\(s.stderr)")
        let stack = try String(contentsOfFile: out + "/stack.yaml", encoding: .utf8)
        #expect(!stack.contains("build"), "\(stack)")
        let digest = try Self.manifestDigest(registry, "demo-web", "latest")
        #expect(stack.contains("image: \"\(registry.host)/demo-web:latest@\(digest)\""), "\(stack)")

        // A Dockerfile error: the export fails at its line, nothing written.
        try Self.write(app + "/web/Dockerfile", "FROM bb:1\nNOPE x\n")
        let bad = try Self.export(r, ["--to", "kubernetes", "-o", app + "/k8s"], in: app)
        #expect(bad.status != 0)
        #expect(bad.stderr.hasPrefix("Error: "), "\(bad.stderr)")
        #expect(bad.stderr.contains("web/Dockerfile:2"), "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: app + "/k8s"))
        // --no-build exports the image last built, and builds nothing (the Dockerfile is broken).
        let kept = try Self.export(r, ["--to", "kubernetes", "--no-build"], in: app)
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stdout == k.stdout)
        #expect(!kept.stderr.contains("building"), "\(kept.stderr)")
        try BuildCLITests.expectClean(r)
    }
}
