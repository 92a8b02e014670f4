import CNCCore
import Foundation
import Testing

/// `cnc builder prune [-a]` on the real kernel: cache entries (and their blobs) no image uses go;
/// with -a everything but what tagged images use; a tagged image's blobs never go.
@Suite(.serialized) struct BuilderPruneTests {
    static func blobs(_ r: BusyboxRoot) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: r.root + "/images/blobs/sha256"))
    }

    /// `cnc builder prune --root ROOT ARGS...`.
    static func prune(_ r: BusyboxRoot, _ args: [String]) throws -> CLI.Result {
        try CLI.exec(CLI.binDir + "/cnc", ["builder", "prune", "--root", r.root] + args)
    }

    static func cacheEntries(_ r: BusyboxRoot) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: r.root + "/build-cache")) ?? []).count
    }

    static func layers(_ r: BusyboxRoot, _ ref: String) throws -> [String] {
        let json = try BuildCLITests.image(r, "inspect", ["--format", "{{json .RootFS.Layers}}", ref]).stdout
        return (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String] ?? []).map { String($0.dropFirst(7)) }
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func pruneTakesWhatNoTaggedImageUses() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": """
            FROM bb:1 AS b
            RUN echo intermediate > /big && echo more > /more
            FROM bb:1
            COPY --from=b /big /big
            RUN echo final > /final
            CMD ["cat", "/big", "/final"]
            """, "other/Dockerfile": "FROM bb:1\nRUN echo untagged > /u\n"])
        #expect(try r.cnc(["build", "-q", "-t", "keep:1", ctx]).status == 0)
        let untagged = try r.cnc(["build", "-q", ctx + "/other"])
        #expect(untagged.status == 0, "\(untagged.stderr)")
        let kept = try Self.layers(r, "keep:1").suffix(2)
        let before = try Self.blobs(r)
        let entries = Self.cacheEntries(r)
        #expect(entries >= 5)

        // Default: the builder stage's RUN layer (used by no image) and its entry go.
        let p = try Self.prune(r, ["-f"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.hasPrefix("Total reclaimed space: ") && !p.stdout.contains("Total reclaimed space: 0B"), "\(p.stdout)")
        let after = try Self.blobs(r)
        #expect(after.count < before.count)
        #expect(kept.allSatisfy { after.contains($0) }, "a tagged image's layer was removed")
        #expect(Self.cacheEntries(r) < entries)
        let untaggedLayer = try Self.layers(r, untagged.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).last ?? ""
        #expect(after.contains(untaggedLayer), "an untagged image's layer stays without -a")
        #expect(try r.cnc(["run", "--rm", "keep:1"]).stdout == "intermediate\nfinal\n")

        // --all: only what tagged images use stays (the untagged image's cache entry goes).
        let beforeAll = Self.cacheEntries(r)
        let a = try Self.prune(r, ["--all", "-f"])
        #expect(a.status == 0 && a.stdout.hasPrefix("Total reclaimed space: "), "\(a.stdout)\(a.stderr)")
        #expect(Self.cacheEntries(r) < beforeAll)
        #expect(kept.allSatisfy { (try? Self.blobs(r).contains($0)) == true })
        #expect(try r.cnc(["run", "--rm", "keep:1"]).stdout == "intermediate\nfinal\n")
        // The tagged image's steps are still cache hits; the pruned builder stage runs again.
        let again = try r.cnc(["build", "--progress", "plain", "-t", "keep:1", ctx])
        #expect(again.status == 0 && again.stderr.contains("CACHED"), "\(again.stderr)")
        try BuildCLITests.expectClean(r)
    }

    /// `COPY --from=STAGE` is keyed by the copied files' content: after `builder prune --all`
    /// the builder stage's RUN runs again; when it writes other bytes the copy is made again
    /// (the image has the new file, as BuildKit's), and when it writes the same bytes the copy
    /// stays a cache hit.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func copyFromAStageFollowsItsContentAfterAPrune() throws {
        let r = try BusyboxRoot()
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": """
            FROM bb:1 AS base
            RUN cat /proc/sys/kernel/random/uuid > /stamp && echo same > /same
            FROM bb:1
            COPY --from=base /stamp /stamp
            COPY --from=base /same /same
            CMD ["cat", "/stamp", "/same"]
            """])
        #expect(try r.cnc(["build", "-q", "-t", "stamp:1", ctx]).status == 0)
        let first = try r.cnc(["run", "--rm", "stamp:1"]).stdout
        #expect(first.hasSuffix("\nsame\n") && first.count > 30, "\(first)")
        #expect(try Self.prune(r, ["--all", "-f"]).status == 0)
        let again = try r.cnc(["build", "--progress", "plain", "-t", "stamp:1", ctx])
        #expect(again.status == 0, "\(again.stderr)")
        let second = try r.cnc(["run", "--rm", "stamp:1"]).stdout
        #expect(second.hasSuffix("\nsame\n") && second != first, "the old copy of /stamp was kept: \(first) / \(second)")
        // The RUN ran again; the first COPY was made again (new bytes).
        #expect(!again.stderr.contains("CACHED [stage-1 2/3] COPY --from=base /stamp"), "\(again.stderr)")
        // A third build with nothing changed: every step cached, the same image.
        let third = try r.cnc(["build", "--progress", "plain", "-t", "stamp:1", ctx])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try r.cnc(["run", "--rm", "stamp:1"]).stdout == second)
        try BuildCLITests.expectClean(r)
    }

    /// The Build Cache row of `cnc system df --format json`: count, size and reclaimable (bytes).
    static func cacheRow(_ r: BusyboxRoot) throws -> (count: Int, size: String, reclaimable: String) {
        let out = try CLI.exec(CLI.binDir + "/cnc", ["system", "df", "--root", r.root, "--format", "json"]).stdout
        for line in out.split(separator: "\n") {
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], o["Type"] == "Build Cache" else { continue }
            return (Int(o["TotalCount"] ?? "") ?? -1, o["Size"] ?? "", o["Reclaimable"] ?? "")
        }
        return (-1, "", "")
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func systemDfShowsTheBuildCacheAndPruneEmptiesIt() throws {
        let r = try BusyboxRoot()
        #expect(try Self.cacheRow(r) == (0, "0B", "0B"))
        let ctx = try BuildCLITests.context(r, "ctx", ["Dockerfile": """
            FROM bb:1 AS b
            RUN --mount=type=cache,target=/cache head -c 300000 /dev/zero > /cache/blob && head -c 200000 /dev/zero > /big
            FROM bb:1
            COPY --from=b /big /big
            """])
        #expect(try r.cnc(["build", "-q", "-t", "df:1", ctx]).status == 0)
        let built = try Self.cacheRow(r)
        #expect(built.count >= 3, "\(built)")
        #expect(built.size != "0B" && built.reclaimable != "0B", "\(built)")
        // A cached rebuild marks its records used (LAST USED), however old they were.
        _ = try CLI.exec("/bin/sh", ["-c", "touch -d 2020-01-01 \(r.root)/build-cache/*"])
        #expect(try CLI.exec(CLI.binDir + "/cnc", ["system", "df", "--root", r.root, "-v"]).stdout.contains("years ago"))
        #expect(try r.cnc(["build", "-q", "-t", "df:1", ctx]).status == 0)
        let verbose = try CLI.exec(CLI.binDir + "/cnc", ["system", "df", "--root", r.root, "-v"]).stdout
        #expect(!verbose.contains("years ago"), "\(verbose)")
        #expect(verbose.contains("Build cache usage: \(built.size)"), "\(verbose)")
        #expect(verbose.contains("exec.cachemount") && verbose.contains("regular"), "\(verbose)")
        let p = try Self.prune(r, ["--all", "-f"])
        #expect(p.status == 0 && !p.stdout.contains("reclaimed space: 0B"), "\(p.stdout)")
        let after = try Self.cacheRow(r)
        #expect(after.count < built.count && after.size != built.size && after.reclaimable == "0B", "\(after) after \(built)")
        try BuildCLITests.expectClean(r)
    }
}
