import CNCCore
import Foundation
import Testing

/// COPY `--exclude`, `--parents` and `--link` on the real kernel (BuildKit's Dockerfile frontend):
/// what lands in the image, what does not, and which layers are reused.
@Suite(.serialized) struct BuildCopyFlagsTests {
    /// `find DIR` inside an image, sorted.
    static func tree(_ r: BusyboxRoot, _ image: String, _ dir: String) throws -> String {
        try r.cnc(["run", "--rm", image, "sh", "-c", "cd \(dir) && find . | sort"]).stdout
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func excludeLeavesMatchesOutAndJoinsTheCacheKey() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", [
            "home.txt": "t\n", "homer.sh": "s\n", "other.sh": "o\n",
            "src/a.go": "a\n", "src/a_test.go": "t\n", "src/docs/readme.md": "m\n", "src/docs/keep.md": "k\n",
            "Dockerfile": """
                FROM bb:1
                COPY --exclude=*.txt hom* /w/
                COPY --exclude=*_test.go --exclude=docs/* --exclude=!docs/keep.md src /s/
                """,
        ])
        let b = try r.cnc(["build", "-t", "ex:1", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(try Self.tree(r, "ex:1", "/w") == ".\n./homer.sh\n", "a wildcard match that an --exclude names is left out")
        #expect(try Self.tree(r, "ex:1", "/s") == ".\n./a.go\n./docs\n./docs/keep.md\n")
        // A file the patterns exclude changes nothing; one they keep rebuilds; another pattern rebuilds.
        try "changed\n".write(toFile: ctx + "/src/a_test.go", atomically: false, encoding: .utf8)
        let same = try r.cnc(["build", "--progress", "plain", "-t", "ex:1", ctx])
        #expect(same.status == 0 && same.stderr.components(separatedBy: "CACHED").count == 3, "\(same.stderr)")
        try "FROM bb:1\nCOPY --exclude=*.txt hom* /w/\nCOPY --exclude=*.go src /s/\n".write(toFile: ctx + "/Dockerfile", atomically: false, encoding: .utf8)
        let other = try r.cnc(["build", "--progress", "plain", "-t", "ex:2", ctx])
        #expect(other.status == 0 && other.stderr.components(separatedBy: "CACHED").count == 2, "\(other.stderr)")
        #expect(try Self.tree(r, "ex:2", "/s") == ".\n./docs\n./docs/keep.md\n./docs/readme.md\n")
        try BuildCLITests.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func parentsKeepsDirectoriesAndThePivot() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", [
            "packages/a/package.json": "a\n", "packages/b/package.json": "b\n", "packages/b/index.js": "x\n",
            "apps/web/src/main.c": "c\n", "apps/web/Makefile": "m\n",
            "Dockerfile": """
                FROM bb:1 AS first
                COPY --parents packages/*/package.json /app/
                COPY --parents apps/./web/src /pivot/
                COPY --parents --exclude=**/*.c apps/web /none
                FROM bb:1 AS second
                COPY --parents missing/*/x.json /empty/
                """,
        ])
        let b = try r.cnc(["build", "--target", "first", "-t", "par:1", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(try Self.tree(r, "par:1", "/app") == ".\n./packages\n./packages/a\n./packages/a/package.json\n./packages/b\n./packages/b/package.json\n")
        #expect(try Self.tree(r, "par:1", "/pivot") == ".\n./web\n./web/src\n./web/src/main.c\n")
        #expect(try Self.tree(r, "par:1", "/none") == ".\n./apps\n./apps/web\n./apps/web/Makefile\n./apps/web/src\n")
        // A wildcard that matches nothing is no error with --parents (BuildKit); a plain path is.
        #expect(try r.cnc(["build", "-q", "--target", "second", ctx]).status == 0)
        try "FROM bb:1\nCOPY --parents nope/x.json /d/\n".write(toFile: ctx + "/Dockerfile", atomically: false, encoding: .utf8)
        let missing = try r.cnc(["build", ctx])
        #expect(missing.status == 1 && missing.stderr.contains("Dockerfile:2: COPY: \"/nope/x.json\": not found"), "\(missing.stderr)")
        try BuildCLITests.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func linkLayerIsIndependentOfEarlierLayersAndReused() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", [
            "app/bin.sh": "echo app\n",
            "Dockerfile": "FROM bb:1\nRUN echo one > /base\nCOPY --link app /opt/app/\nRUN cat /base /opt/app/bin.sh > /joined\n",
        ])
        let b = try r.cnc(["build", "-t", "ln:1", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(try r.cnc(["run", "--rm", "ln:1", "cat", "/joined"]).stdout == "one\necho app\n")
        let first = try BuilderPruneTests.layers(r, "ln:1")
        // The layer has its own parent directories (made over an empty filesystem).
        let tar = try CLI.exec("/bin/sh", ["-c", "tar -tf \(r.root)/images/blobs/sha256/\(first[first.count - 2])"]).stdout
        #expect(tar.split(separator: "\n").map { $0.hasSuffix("/") ? String($0.dropLast()) : String($0) } == ["opt", "opt/app", "opt/app/bin.sh"], "\(tar)")

        // A change below the linked COPY: that step is not a cache hit, yet its layer blob is the same.
        try "FROM bb:1\nRUN echo two > /base\nCOPY --link app /opt/app/\nRUN cat /base /opt/app/bin.sh > /joined\n".write(toFile: ctx + "/Dockerfile", atomically: false, encoding: .utf8)
        let again = try r.cnc(["build", "--progress", "plain", "-t", "ln:2", ctx])
        #expect(again.status == 0 && !again.stderr.contains("CACHED"), "\(again.stderr)")
        let second = try BuilderPruneTests.layers(r, "ln:2")
        #expect(second.count == first.count && second[second.count - 2] == first[first.count - 2], "the linked layer is reused")
        #expect(second[second.count - 3] != first[first.count - 3])
        #expect(try r.cnc(["run", "--rm", "ln:2", "cat", "/joined"]).stdout == "two\necho app\n")
        try BuildCLITests.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func linkDoesNotFollowTheImagesSymlinks() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", [
            "f.txt": "f\n",
            "Dockerfile": "FROM bb:1\nRUN mkdir /real && ln -s /real /alias\nCOPY f.txt /alias/plain/\nCOPY --link f.txt /alias/linked/\n",
        ])
        let b = try r.cnc(["build", "-t", "sl:1", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        // Without --link the image's symlink is followed; with it the layer has a directory
        // /alias of its own, which replaces the link (as BuildKit's merge does).
        let out = try r.cnc(["run", "--rm", "sl:1", "sh", "-c", "cat /real/plain/f.txt /alias/linked/f.txt; test -L /alias || echo dir; ls /real"]).stdout
        #expect(out == "f\nf\ndir\nplain\n", "\(out)")
        try BuildCLITests.expectClean(r)
    }
}
