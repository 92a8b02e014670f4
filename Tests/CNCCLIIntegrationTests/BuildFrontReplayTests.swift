import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// The `cnc` front's no-change rebuild (CNCStart's BuildPath and BuildReplayTicket) on the real
/// kernel: after cnc-cli replayed a build's result record, the same invocation is answered by
/// the front with the same output, image, tags, --iidfile and events; every input change (a
/// byte with its mtime restored, a new or removed file, .dockerignore, the Dockerfile, a build
/// arg, a moved base tag, a pruned build cache, a removed layer blob) and every flag the front
/// does not know goes to cnc-cli, which builds correctly. Whether the front answered is told by
/// its trace mark (CNC_TRACE=1, on stderr) in a second run of the same build.
@Suite(.serialized) struct BuildFrontReplayTests {
    func build(_ r: BusyboxRoot, _ args: [String], env: [String: String] = [:]) throws -> CLI.Result {
        let b = try CLI.exec(CLI.binDir + "/cnc", ["build", "--root", r.root] + args, env: env)
        #expect(b.status == 0, "\(b.stderr)")
        return b
    }

    /// Builds traced: true when the front answered.
    func frontAnswered(_ r: BusyboxRoot, _ args: [String]) throws -> Bool {
        try traced(r, args).front
    }

    func traced(_ r: BusyboxRoot, _ args: [String]) throws -> (front: Bool, result: CLI.Result) {
        let b = try build(r, args, env: ["CNC_TRACE": "1"])
        return (b.stderr.contains("build (front): replayed"), b)
    }

    func read(_ r: BusyboxRoot, _ image: String, _ path: String) throws -> String {
        try r.cnc(["run", "--rm", image, "cat", path]).stdout
    }

    func id(_ r: BusyboxRoot, _ ref: String) throws -> String {
        try BuildCLITests.image(r, "inspect", ["--format", "{{.Id}}", ref]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func tickets(_ r: BusyboxRoot) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: r.root + "/build-front")) ?? []).sorted()
    }

    func tagEvents(_ r: BusyboxRoot) -> Int {
        ((try? String(contentsOfFile: r.root + "/events.log", encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains("\"tag\"") }.count
    }

    /// Brings `args` to the front again: a full build (recorded), a replay by cnc-cli (the
    /// ticket); then the front must answer.
    func settle(_ r: BusyboxRoot, _ args: [String], _ paths: [String]) throws {
        BuildStatCacheTests.waitPastRacyWindow(paths)
        _ = try build(r, args)
        _ = try build(r, args)
        #expect(try frontAnswered(r, args), "the front did not take over again after \(args)")
    }

    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func frontReplaysExactlyAndEveryChangeBuilds() throws {
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
                """,
        ])
        let all = [ctx + "/a.txt", ctx + "/dir/x.txt", ctx + "/dir", ctx + "/Dockerfile", ctx]
        BuildStatCacheTests.waitPastRacyWindow(all)
        let plain = ["-t", "t:1", ctx]
        _ = try build(r, plain)
        _ = try build(r, plain)
        #expect(tickets(r).isEmpty, "a build that was no replay left a ticket")
        let full = try build(r, plain)
        #expect(tickets(r).count == 1)
        let ticket = r.root + "/build-front/" + tickets(r)[0]
        let inode = FileSystem.identity(ticket)

        // The front: the same bytes and status as cnc-cli's replay; the ticket left as it was.
        let front = try build(r, plain)
        #expect(front.stdout == full.stdout && front.stderr == full.stderr, "\(front.stderr)\nvs\n\(full.stderr)")
        #expect(FileSystem.identity(ticket) == inode, "cnc-cli answered (it rewrites the ticket)")
        #expect(try frontAnswered(r, plain))
        let image = try id(r, "t:1")

        // -q, --iidfile, two tags (one new: the full path tags it, then the front has a ticket).
        let iid = r.dir + "/iid"
        let quiet = ["-q", "--iidfile", iid, "--progress", "quiet", "-t", "t:1", "-t", "t:other", ctx]
        _ = try build(r, quiet)
        let quietFull = try build(r, quiet)
        try FileManager.default.removeItem(atPath: iid)
        let events = tagEvents(r)
        let quietFront = try build(r, quiet)
        #expect(quietFront.stdout == image + "\n" && quietFront.stdout == quietFull.stdout && quietFront.stderr == quietFull.stderr,
                "\(quietFront.stdout) \(quietFront.stderr)")
        #expect((try? String(contentsOfFile: iid, encoding: .utf8)) == image)
        #expect(tagEvents(r) == events + 2, "the front logged \(tagEvents(r) - events) tag events, cnc-cli 2")
        #expect(try frontAnswered(r, quiet))
        #expect(try id(r, "t:other") == image)

        // One byte changed, its mtime put back: built, with the new byte.
        let a = ctx + "/a.txt"
        var st = stat()
        lstat(a, &st)
        try "alphA\n".write(toFile: a, atomically: false, encoding: .utf8)
        var times = [timespec(tv_sec: st.st_atim.tv_sec, tv_nsec: st.st_atim.tv_nsec), timespec(tv_sec: st.st_mtim.tv_sec, tv_nsec: st.st_mtim.tv_nsec)]
        #expect(utimensat(AT_FDCWD, a, &times, 0) == 0)
        #expect(!(try frontAnswered(r, plain)))
        #expect(try read(r, "t:1", "/a.txt") == "alphA\n")
        try settle(r, plain, all)

        // A new file, then that file removed.
        try "new\n".write(toFile: ctx + "/dir/new.txt", atomically: false, encoding: .utf8)
        #expect(!(try frontAnswered(r, plain)))
        #expect(try read(r, "t:1", "/dir/new.txt") == "new\n")
        try settle(r, plain, all + [ctx + "/dir/new.txt"])
        try FileManager.default.removeItem(atPath: ctx + "/dir/new.txt")
        #expect(!(try frontAnswered(r, plain)))
        #expect(try r.cnc(["run", "--rm", "t:1", "ls", "/dir"]).stdout == "x.txt\n")
        try settle(r, plain, all)

        // .dockerignore, then the Dockerfile.
        try "dir/x.txt\n".write(toFile: ctx + "/.dockerignore", atomically: false, encoding: .utf8)
        #expect(!(try frontAnswered(r, plain)))
        #expect(try r.cnc(["run", "--rm", "t:1", "ls", "/dir"]).stdout == "")
        try settle(r, plain, all + [ctx + "/.dockerignore"])
        try (try String(contentsOfFile: ctx + "/Dockerfile", encoding: .utf8) + "\nENV E=1\n").write(toFile: ctx + "/Dockerfile", atomically: false, encoding: .utf8)
        #expect(!(try frontAnswered(r, plain)))
        #expect(try r.cnc(["run", "--rm", "t:1", "sh", "-c", "echo $E"]).stdout == "1\n")
        try settle(r, plain, all + [ctx + "/.dockerignore"])

        // A build arg and a label: flags the front leaves to cnc-cli (other tags: t:1 stays).
        #expect(!(try frontAnswered(r, ["--build-arg", "X=1", "-t", "u:1", ctx])))
        #expect(!(try frontAnswered(r, ["--label", "l=1", "-t", "u:2", ctx])))
        #expect(try BuildCLITests.image(r, "inspect", ["--format", "{{json .Config.Labels}}", "u:2"]).stdout.contains("\"l\":\"1\""))
        try settle(r, plain, all)

        // The base tag moved: built on the new base.
        let other = try BuildCLITests.context(r, "base", ["Dockerfile": "FROM bb:1\nRUN echo new > /base-marker\n"])
        _ = try build(r, ["-t", "bb:1", other])
        #expect(!(try frontAnswered(r, plain)))
        #expect(try read(r, "t:1", "/base-marker") == "new\n")
        try settle(r, plain, all)

        // The build cache pruned: the RUN whose layer no tagged image has runs again.
        #expect(try CLI.exec(CLI.binDir + "/cnc", ["builder", "prune", "--all", "-f", "--root", r.root]).status == 0)
        let pruned = try traced(r, plain)
        #expect(!pruned.front && pruned.result.stderr.contains("build RUN: exited 0"), "\(pruned.result.stderr)")
        try FileManager.default.removeItem(atPath: r.root + "/build-front")
        try settle(r, plain, all)

        // A step's layer blob removed (the last layer; the config and manifest blobs follow it):
        // built again, the blob back.
        #expect(tickets(r).count == 1)
        let items = try String(contentsOfFile: r.root + "/build-front/" + (tickets(r).first ?? ""), encoding: .utf8)
            .split(separator: "\0").map(String.init)
        let blobs = items.filter { $0.contains("/blobs/sha256/") }
        #expect(blobs.count >= 3, "\(items)")
        if blobs.count >= 3 {
            let layer = blobs[blobs.count - 3]
            try FileManager.default.removeItem(atPath: layer)
            #expect(!(try frontAnswered(r, plain)))
            #expect(FileManager.default.fileExists(atPath: layer))
            #expect(try read(r, "t:1", "/a.txt") == "alphA\n")
        }
        try BuildCLITests.expectClean(r)
    }
}
