@testable import CNCBuild
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

@Suite struct DockerIgnoreTests {
    @Test(arguments: [
        ("*.md", "README.md", true), ("*.md", "docs/a.md", false), ("**/*.md", "docs/x/a.md", true), ("**/*.md", "a.md", true),
        ("docs", "docs/x/y.txt", true), ("/build", "build/out", true), ("./tmp/../node_modules", "node_modules/x", true),
        ("a?c", "abc", true), ("a?c", "a/c", false), ("[a-c]x", "bx", true), ("[^a-c]x", "dx", true), ("[^a-c]x", "ax", false),
        ("foo/**", "foo/a/b", true), ("foo/**", "foo", false), ("**", "anything/at/all", true), ("a\\*b", "a*b", true),
        ("a\\*b", "axb", false), ("**/node_modules", "x/node_modules/y", true),
    ] as [(String, String, Bool)])
    func matchesLikeDocker(pattern: String, path: String, excluded: Bool) {
        #expect(DockerIgnore(patterns: [pattern]).excludes(path) == excluded)
    }

    @Test func exceptionsAndOrder() {
        let ig = DockerIgnore(text: "\u{FEFF}# comment\n*.log\n!keep.log\n  \n docs/ \n!docs/README.md\n#*.txt\n")
        #expect(ig.excludes("a.log") && !ig.excludes("keep.log"))
        #expect(ig.excludes("docs/x") && !ig.excludes("docs/README.md"))
        #expect(!ig.excludes("a.txt"))
        // The later line wins.
        #expect(DockerIgnore(patterns: ["!keep.log", "*.log"]).excludes("keep.log"))
    }

    @Test func dockerfileSpecificIgnoreWins() {
        let have: Set<String> = ["/ctx/.dockerignore", "/ctx/build/app.Dockerfile.dockerignore"]
        #expect(DockerIgnore.file(context: "/ctx", dockerfile: "/ctx/build/app.Dockerfile", exists: have.contains) == "/ctx/build/app.Dockerfile.dockerignore")
        #expect(DockerIgnore.file(context: "/ctx", dockerfile: "/ctx/Dockerfile", exists: have.contains) == "/ctx/.dockerignore")
        #expect(DockerIgnore.file(context: "/none", dockerfile: nil, exists: have.contains) == nil)
    }

    @Test func hostilePatternsAreLinear() {
        let p = String(repeating: "*a", count: 2_000) + "b"
        #expect(!DockerIgnore(patterns: [p]).excludes(String(repeating: "a", count: 4_000)))
    }
}

/// A context directory made by a test, with hostile entries when asked.
final class ContextFixture {
    let dir: TempDir
    var root: String { dir.path + "/ctx" }
    init() throws {
        dir = try TempDir("cnc-build-ctx")
        try FileSystem.createDirectory(root)
        try FileSystem.writeAtomically("secret outside\n", to: dir.path + "/outside.txt")
    }
    func write(_ rel: String, _ text: String, mode: mode_t = 0o644) throws {
        let path = root + "/" + rel
        try FileManager.default.createDirectory(atPath: FileSystem.directoryName(path), withIntermediateDirectories: true)
        try FileSystem.writeReplacing(Array(text.utf8), to: path, mode: mode)
    }
    func link(_ rel: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/" + rel, withDestinationPath: target)
    }
}

@Suite struct BuildContextTests {
    @Test func selectsFilesDirectoriesAndGlobs() throws {
        let f = try ContextFixture()
        try f.write("app/main.c", "int main(){}")
        try f.write("app/util.c", "x")
        try f.write("app/notes.md", "n")
        try f.write("go.mod", "module x")
        let ctx = try BuildContext(root: f.root, ignore: DockerIgnore(patterns: ["**/*.md"]))
        let dir = try ctx.select(["app"])
        #expect(dir.count == 1 && dir[0].isDirectory)
        #expect(dir[0].files.map(\.relative) == ["", "main.c", "util.c"])
        let glob = try ctx.select(["app/*.c", "/go.mod", "../../go.mod"])
        #expect(glob.map(\.path) == ["app/main.c", "app/util.c", "go.mod", "go.mod"])
        #expect { try ctx.select(["app/notes.md"]) } throws: { "\($0)".contains("\"/app/notes.md\": not found") }
        #expect { try ctx.select(["missing"]) } throws: { "\($0)".contains("\"/missing\": not found") }
    }

    /// Hostile contexts: nothing outside the context root is ever selected or read.
    @Test func neverLeavesTheContext() throws {
        let f = try ContextFixture()
        try f.write("ok.txt", "ok")
        try f.link("passwd", to: "/etc/passwd")
        try f.link("up", to: "../outside.txt")
        try f.link("updir", to: "../..")
        try f.link("loop", to: "loop")
        try f.write("etc/passwd", "the context's own etc/passwd")
        let ctx = try BuildContext(root: f.root)
        // An absolute symlink resolves inside the context root.
        let passwd = try ctx.select(["passwd"])
        #expect(passwd[0].path == "etc/passwd")
        var read = ""
        try ctx.tree.read(passwd[0].path) { read += String(decoding: $0, as: UTF8.self) }
        #expect(read == "the context's own etc/passwd")
        // `../outside.txt` clamps at the root: there is no ctx/outside.txt.
        #expect(throws: (any Error).self) { try ctx.select(["up"]) }
        #expect(throws: (any Error).self) { try ctx.select(["../outside.txt"]) }
        #expect(try ctx.select(["updir"]).first?.path == "")
        #expect(throws: (any Error).self) { try ctx.select(["loop"]) }
        // Walking the root keeps links as links, with their target text, and reads no file through them.
        let all = try ctx.select(["."])[0].files
        #expect(all.first { $0.relative == "passwd" }?.linkTarget == "/etc/passwd")
        #expect(all.allSatisfy { !$0.path.contains("outside") })
        // A file opened through a symlink is refused (O_NOFOLLOW).
        #expect(throws: (any Error).self) { try ctx.tree.read("passwd") { _ in } }
    }
}
