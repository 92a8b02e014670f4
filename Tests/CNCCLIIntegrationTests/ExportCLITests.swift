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
        let app = try App("services:\n  web:\n    build: .\n")
        let r = try app.cncapply(["--to", "kubernetes"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("app.yaml:3:5: services.web.build: not supported yet: building images"))
        #expect(r.stdout.isEmpty)
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
        let head = try CLI.exec("/usr/bin/curl", ["-sfI", "-H", "Accept: application/vnd.oci.image.manifest.v1+json",
                                                  "-H", "Accept: application/vnd.docker.distribution.manifest.v2+json",
                                                  "http://\(registry.host)/v2/bb/manifests/1"])
        #expect(head.status == 0, "the registry has no bb:1: \(head.stderr)")
        let digest = head.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("docker-content-digest:") }?
            .split(separator: " ").last.map(String.init) ?? "none"
        #expect(stack.contains("image: \"\(registry.host)/bb:1@\(digest)\""), "\(stack)")
    }
}
