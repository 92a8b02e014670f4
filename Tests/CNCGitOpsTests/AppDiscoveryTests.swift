import CNCGitOps
import CNCTestSupport
import Foundation
import Testing

@Suite struct AppDiscoveryTests {
    func tree(_ files: [String]) throws -> TempDir {
        let t = try TempDir()
        for f in files {
            let path = t.path + "/" + f
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "services: {}\n".write(toFile: path, atomically: true, encoding: .utf8)
        }
        return t
    }

    @Test func filesAndDirectoriesByComposeRules() throws {
        let t = try tree(["apps/web.yaml", "apps/API.yml", "apps/shop/compose.yaml", "apps/shop/compose.override.yaml",
                          "apps/old/docker-compose.yml", "apps/both/app.yaml", "apps/both/compose.yaml", "apps/notes/readme.md",
                          "apps/secrets.enc.yaml", "apps/.hidden.yaml", "apps/readme.md", "other/x.yaml"])
        let r = try AppDiscovery.discover(tree: t.path, path: "apps/")
        #expect(r.problems.isEmpty)
        #expect(r.apps == [
            DiscoveredApp(name: "api", path: "apps/API.yml", files: ["apps/API.yml"]),
            DiscoveredApp(name: "both", path: "apps/both", files: ["apps/both/app.yaml"]),
            DiscoveredApp(name: "old", path: "apps/old", files: ["apps/old/docker-compose.yml"]),
            DiscoveredApp(name: "shop", path: "apps/shop", files: ["apps/shop/compose.yaml", "apps/shop/compose.override.yaml"]),
            DiscoveredApp(name: "web", path: "apps/web.yaml", files: ["apps/web.yaml"]),
        ])
    }

    @Test func theRootAndClashes() throws {
        let t = try tree(["web.yaml", "web/compose.yaml", "db.yaml", "---.yaml"])
        let r = try AppDiscovery.discover(tree: t.path, path: ".")
        #expect(r.apps.map(\.name) == ["db"])
        #expect(r.problems.count == 2)
        #expect(r.problems.contains { $0.contains("web, web.yaml") && $0.contains("more than one app named web") })
        #expect(r.problems.contains { $0.hasPrefix("---.yaml:") })
    }

    @Test func aMissingPathIsAnError() throws {
        let t = try tree(["web.yaml"])
        #expect(throws: (any Error).self) { try AppDiscovery.discover(tree: t.path, path: "nope") }
    }

    @Test(arguments: [("My App", "myapp"), ("web_1", "web_1"), ("-x", "x"), ("Ünï", "n"), ("...", "")])
    func projectNames(raw: String, name: String) {
        #expect(AppDiscovery.projectName(raw) == name)
    }
}
