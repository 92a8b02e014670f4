import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// The context stat cache (`<root>/build-cache-stat/`, CNCBuilder's ContextStatCache) on the real
/// kernel: a rebuild takes unchanged files' digests from it instead of reading them, yet the keys
/// stay content keys: touch rebuilds nothing; a byte changed with size and mtime put back, a
/// rename and a deletion rebuild; a file changed within the racy window is never trusted; the
/// cache survives processes and prune removes it.
@Suite(.serialized) struct BuildStatCacheTests {
    static let dockerfile = """
        FROM bb:1
        COPY a.txt /a.txt
        RUN cat /proc/sys/kernel/random/uuid > /stamp-a
        COPY b.txt /b.txt
        RUN cat /proc/sys/kernel/random/uuid > /stamp-b
        COPY dir/ /dir/
        RUN cat /proc/sys/kernel/random/uuid > /stamp-dir
        """

    static func cached(_ r: CLI.Result) -> Int { r.stderr.components(separatedBy: "CACHED").count - 1 }

    static func ctimeNanos(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        return Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Waits until every path's ctime is older than the racy window (2 s), so a build may keep it.
    static func waitPastRacyWindow(_ paths: [String]) {
        while paths.contains(where: { now() - ctimeNanos($0) <= 2_100_000_000 }) { usleep(50_000) }
    }

    /// The stat cache's lines (one file per context), by context-relative path.
    static func statLines(_ r: BusyboxRoot) -> [String: String] {
        let dir = r.root + "/build-cache-stat"
        var out: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let text = (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ", maxSplits: 9)
                if f.count == 10 { out[String(f[9])] = String(line) }
            }
        }
        return out
    }

    func build(_ r: BusyboxRoot, _ ctx: String, _ tag: String) throws -> CLI.Result {
        let b = try r.cnc(["build", "-t", tag, ctx])
        #expect(b.status == 0, "\(b.stderr)")
        return b
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func statCacheSkipsUnchangedFilesButNeverHidesAChange() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", [
            "a.txt": "alpha\n", "b.txt": "bravo\n", "dir/x.txt": "xray\n", "dir/y.txt": "yankee\n",
            "Dockerfile": Self.dockerfile,
        ])
        let files = ["a.txt", "b.txt", "dir/x.txt", "dir/y.txt"]
        Self.waitPastRacyWindow(files.map { ctx + "/" + $0 })
        let first = try build(r, ctx, "s:1")
        #expect(Self.cached(first) == 0, "\(first.stderr)")
        // The first build (a process of its own) left every file's digest in the root.
        let lines = Self.statLines(r)
        #expect(Set(lines.keys) == Set(files), "\(lines)")

        // The digests come from the cache: a (forged) digest there changes the key of a.txt's
        // COPY, so that step and the later ones miss although a.txt is unchanged.
        let statFile = try #require(try FileManager.default.contentsOfDirectory(atPath: r.root + "/build-cache-stat").first)
        let path = r.root + "/build-cache-stat/" + statFile
        let saved = try String(contentsOfFile: path, encoding: .utf8)
        let aLine = try #require(lines["a.txt"])
        let aDigest = String(aLine.split(separator: " ")[8])
        try saved.replacingOccurrences(of: aDigest, with: String(repeating: "f", count: 64)).write(toFile: path, atomically: true, encoding: .utf8)
        let forged = try build(r, ctx, "s:forged")
        #expect(Self.cached(forged) == 0, "the build did not take a.txt's digest from the stat cache: \(forged.stderr)")
        try saved.write(toFile: path, atomically: true, encoding: .utf8)

        // No change: all cached, from a new process.
        let again = try build(r, ctx, "s:1")
        #expect(Self.cached(again) == 6, "\(again.stderr)")

        // touch: new mtime and ctime, same bytes: hashed again, still all cached.
        _ = try CLI.exec("/usr/bin/touch", ["-d", "2001-01-01", ctx + "/a.txt"])
        Self.waitPastRacyWindow([ctx + "/a.txt"])
        let touched = try build(r, ctx, "s:1")
        #expect(Self.cached(touched) == 6, "\(touched.stderr)")
        #expect(Self.statLines(r)["a.txt"] != aLine, "the touched file's new stat was not recorded")

        // One byte of b.txt changed, size and mtime put back (moby/buildkit#4817): the ctime
        // moved, so b.txt is hashed again and its COPY and the steps after it run.
        _ = try CLI.exec("/bin/cp", ["-p", ctx + "/b.txt", r.dir + "/b.ref"])
        try "bravO\n".write(toFile: ctx + "/b.txt", atomically: false, encoding: .utf8)
        _ = try CLI.exec("/usr/bin/touch", ["-r", r.dir + "/b.ref", ctx + "/b.txt"])
        Self.waitPastRacyWindow([ctx + "/b.txt"])
        let changed = try build(r, ctx, "s:2")
        #expect(Self.cached(changed) == 2, "\(changed.stderr)")
        #expect(try r.cnc(["run", "--rm", "s:2", "cat", "/b.txt"]).stdout == "bravO\n")

        // A rename inside a copied directory rebuilds that COPY; so does a deletion.
        try FileManager.default.moveItem(atPath: ctx + "/dir/y.txt", toPath: ctx + "/dir/z.txt")
        let renamed = try build(r, ctx, "s:3")
        #expect(Self.cached(renamed) == 4, "\(renamed.stderr)")
        #expect(try r.cnc(["run", "--rm", "s:3", "ls", "/dir"]).stdout == "x.txt\nz.txt\n")
        try FileManager.default.removeItem(atPath: ctx + "/dir/z.txt")
        let deleted = try build(r, ctx, "s:4")
        #expect(Self.cached(deleted) == 4, "\(deleted.stderr)")
        #expect(try r.cnc(["run", "--rm", "s:4", "ls", "/dir"]).stdout == "x.txt\n")
        try BuildCLITests.expectClean(r)
    }

    /// Git's racy-clean rule: a file hashed within the racy window of its last change is not
    /// kept, so a second same-size write in the same timestamp tick (mtime put back) is seen.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func aFileChangedWithinTheRacyWindowIsHashedAgain() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["a.txt": "one\n", "Dockerfile": "FROM bb:1\nCOPY a.txt /a.txt\n"])
        _ = try CLI.exec("/bin/cp", ["-p", ctx + "/a.txt", r.dir + "/a.ref"])
        let changedAt = Self.ctimeNanos(ctx + "/a.txt")
        _ = try build(r, ctx, "r:1")
        if Self.now() - changedAt < 2_000_000_000 {  // (a build slower than the window may keep it)
            #expect(Self.statLines(r)["a.txt"] == nil, "a file changed just now was kept in the stat cache")
        }
        try "two\n".write(toFile: ctx + "/a.txt", atomically: false, encoding: .utf8)
        _ = try CLI.exec("/usr/bin/touch", ["-r", r.dir + "/a.ref", ctx + "/a.txt"])
        let second = try build(r, ctx, "r:2")
        #expect(Self.cached(second) == 0, "\(second.stderr)")
        #expect(try r.cnc(["run", "--rm", "r:2", "cat", "/a.txt"]).stdout == "two\n")
    }

    /// The stat cache survives processes, and `cnc builder prune` and `cnc system prune` remove it.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func pruneRemovesTheStatCache() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["a.txt": "one\n", "Dockerfile": "FROM bb:1\nCOPY a.txt /a.txt\n"])
        Self.waitPastRacyWindow([ctx + "/a.txt"])
        let dir = r.root + "/build-cache-stat"
        _ = try build(r, ctx, "p:1")
        #expect(Self.statLines(r)["a.txt"] != nil)
        let p = try CLI.exec(CLI.binDir + "/cnc", ["builder", "prune", "--all", "-f", "--root", r.root])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        _ = try build(r, ctx, "p:1")
        #expect(Self.statLines(r)["a.txt"] != nil)
        let s = try CLI.exec(CLI.binDir + "/cnc", ["system", "prune", "-f", "--root", r.root])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(try r.cnc(["run", "--rm", "p:1", "cat", "/a.txt"]).stdout == "one\n", "system prune took a tagged image")
    }
}

/// A RUN step's overlay is mounted `volatile` (no sync of the upper fs at unmount); a container
/// of `cnc run` keeps the default (its upper dir must survive a crash).
@Suite(.serialized) struct BuildRunOverlayTests {
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func runStepOverlayIsVolatileAndRunContainersAreNot() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": "FROM bb:1\nRUN grep ' / ' /proc/self/mountinfo > /mi\n"])
        let b = try r.cnc(["build", "-q", "-t", "v:1", ctx])
        #expect(b.status == 0, "\(b.stderr)")
        let mi = try r.cnc(["run", "--rm", "v:1", "cat", "/mi"]).stdout
        #expect(mi.contains(" overlay ") && mi.contains("volatile"), "\(mi)")
        let plain = try r.cnc(["run", "--name", "plain", "bb:1", "grep", " / ", "/proc/self/mountinfo"])
        #expect(plain.status == 0 && plain.stdout.contains("upperdir=") && !plain.stdout.contains("volatile"), "\(plain.stdout)")
        #expect(try r.cnc(["rm", "plain"]).status == 0)
        try BuildCLITests.expectClean(r)
    }
}
