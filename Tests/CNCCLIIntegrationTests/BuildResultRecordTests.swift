import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// The whole-build result record (`<root>/build-cache/results/`, CNCBuilder's BuildResultRecord)
/// on the real kernel: a build whose every step was cached leaves one; the next no-change build
/// replays it (same progress lines, CACHED markers, -q output, --iidfile, image) without
/// evaluating a step; and every input a step-cache build would see changed makes it a normal
/// build: a touched file (then recorded again), a changed byte, a moved base tag, a cache entry
/// rewritten by --no-cache, a build arg, a label and a `.dockerignore` change.
/// Whether a build replayed is told by a forged title in the record ("(replayed)"): only a
/// replay prints it.
@Suite(.serialized) struct BuildResultRecordTests {
    static func results(_ r: BusyboxRoot) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: r.root + "/build-cache/results")) ?? []).sorted()
    }

    /// Marks every record's FROM titles, so a replay shows itself.
    static func forge(_ r: BusyboxRoot) throws {
        let names = results(r)
        #expect(!names.isEmpty, "no result record to forge")
        for name in names {
            let path = r.root + "/build-cache/results/" + name
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("FROM bb:1\""), "\(text)")
            try text.replacingOccurrences(of: "FROM bb:1\"", with: "FROM bb:1 (replayed)\"").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    static func replayed(_ b: CLI.Result) -> Bool { b.stderr.contains("(replayed)") }

    /// stderr without step times and the forged mark, to compare a replay with a build.
    static func steps(_ b: CLI.Result) -> [String] {
        b.stderr.replacingOccurrences(of: " (replayed)", with: "").split(separator: "\n").map { line in
            line.contains(" DONE ") ? String(line.prefix { $0 != "D" }) + "DONE" : String(line)
        }
    }

    func build(_ r: BusyboxRoot, _ args: [String]) throws -> CLI.Result {
        let b = try r.cnc(["build"] + args)
        #expect(b.status == 0, "\(b.stderr)")
        return b
    }

    func read(_ r: BusyboxRoot, _ image: String, _ path: String) throws -> String {
        try r.cnc(["run", "--rm", image, "cat", path]).stdout
    }

    func id(_ r: BusyboxRoot, _ ref: String) throws -> String {
        try BuildCLITests.image(r, "inspect", ["--format", "{{.Id}}", ref]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func noChangeRebuildReplaysAndAnyContextChangeBuilds() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", [
            "a.txt": "alpha\n", "dir/x.txt": "xray\n",
            "Dockerfile": """
                FROM bb:1 AS base
                COPY a.txt /a.txt
                RUN cat /proc/sys/kernel/random/uuid > /stamp
                FROM bb:1
                COPY --from=base /stamp /a.txt /
                COPY dir/ /dir/
                WORKDIR /w
                """,
        ])
        BuildStatCacheTests.waitPastRacyWindow([ctx + "/a.txt", ctx + "/dir/x.txt", ctx + "/dir", ctx + "/Dockerfile", ctx])
        _ = try build(r, ["-t", "t:1", ctx])
        #expect(Self.results(r).isEmpty, "a build that ran steps left a result record")
        let cached = try build(r, ["-t", "t:1", ctx])
        #expect(BuildStatCacheTests.cached(cached) == 4, "\(cached.stderr)")
        #expect(Self.results(r).count == 1)
        try Self.forge(r)

        // No change: the record, with the same lines as the cached build, then -q and --iidfile.
        let replay = try build(r, ["-t", "t:1", ctx])
        #expect(Self.replayed(replay), "\(replay.stderr)")
        #expect(Self.steps(replay) == Self.steps(cached), "\(replay.stderr)\nvs\n\(cached.stderr)")
        let iid = r.dir + "/iid"
        let quiet = try build(r, ["-q", "--iidfile", iid, "-t", "t:1", "-t", "t:other", ctx])
        let image = try id(r, "t:1")
        #expect(quiet.stdout == image + "\n" && (try? String(contentsOfFile: iid, encoding: .utf8)) == image, "\(quiet.stdout) \(image)")
        #expect(try id(r, "t:other") == image)

        // touch (same bytes): a normal, all-cached build that records the new stats.
        _ = try CLI.exec("/usr/bin/touch", ["-d", "2001-01-01", ctx + "/a.txt"])
        BuildStatCacheTests.waitPastRacyWindow([ctx + "/a.txt"])
        let touched = try build(r, ["-t", "t:1", ctx])
        #expect(!Self.replayed(touched) && BuildStatCacheTests.cached(touched) == 4, "\(touched.stderr)")
        #expect(try id(r, "t:1") == image)
        try Self.forge(r)
        #expect(Self.replayed(try build(r, ["-t", "t:1", ctx])), "the touched context was not recorded again")

        // One byte changed: built, with the new bytes.
        try "xrax\n".write(toFile: ctx + "/dir/x.txt", atomically: false, encoding: .utf8)
        let changed = try build(r, ["-t", "t:2", ctx])
        #expect(!Self.replayed(changed), "\(changed.stderr)")
        #expect(try read(r, "t:2", "/dir/x.txt") == "xrax\n")
        try BuildCLITests.expectClean(r)
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func rewrittenEntriesMovedBasesAndRequestChangesBuild() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", [
            "b.txt": "bravo\n",
            "Dockerfile": "FROM bb:1\nARG V=1\nCOPY . /ctx/\nRUN cat /proc/sys/kernel/random/uuid > /stamp && echo $V > /v\n",
        ])
        BuildStatCacheTests.waitPastRacyWindow([ctx + "/b.txt", ctx + "/Dockerfile", ctx])
        _ = try build(r, ["-t", "n:1", ctx])
        _ = try build(r, ["-t", "n:1", ctx])
        try Self.forge(r)

        // --no-cache runs the steps again and rewrites their cache entries: the next build uses them.
        _ = try build(r, ["--no-cache", "-t", "n:2", ctx])
        let after = try build(r, ["-t", "n:3", ctx])
        #expect(!Self.replayed(after), "\(after.stderr)")
        #expect(try read(r, "n:3", "/stamp") == (try read(r, "n:2", "/stamp")))
        #expect(try id(r, "n:3") == (try id(r, "n:2")))

        // The base tag moved to another image.
        try Self.forge(r)
        let other = try BuildCLITests.context(r, "base", ["Dockerfile": "FROM bb:1\nRUN echo new > /base-marker\n"])
        _ = try build(r, ["-t", "bb:1", other])
        let moved = try build(r, ["-t", "n:4", ctx])
        #expect(!Self.replayed(moved), "\(moved.stderr)")
        #expect(try read(r, "n:4", "/base-marker") == "new\n")

        // A build arg, a label, a .dockerignore.
        _ = try build(r, ["-t", "n:4", ctx])
        try Self.forge(r)
        let arg = try build(r, ["--build-arg", "V=2", "-t", "n:5", ctx])
        #expect(!Self.replayed(arg), "\(arg.stderr)")
        #expect(try read(r, "n:5", "/v") == "2\n")
        let label = try build(r, ["--label", "l=1", "-t", "n:6", ctx])
        #expect(!Self.replayed(label), "\(label.stderr)")
        #expect(try BuildCLITests.image(r, "inspect", ["--format", "{{json .Config}}", "n:6"]).stdout.contains("\"l\":\"1\""))
        try "b.txt\n".write(toFile: ctx + "/.dockerignore", atomically: false, encoding: .utf8)
        let ignored = try build(r, ["-t", "n:7", ctx])
        #expect(!Self.replayed(ignored), "\(ignored.stderr)")
        let listed = try r.cnc(["run", "--rm", "n:7", "ls", "-a", "/ctx"]).stdout
        #expect(listed.contains("Dockerfile") && !listed.contains("b.txt"), "\(listed)")
        try BuildCLITests.expectClean(r)
    }
}
