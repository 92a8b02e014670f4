import Foundation
import Glibc
import Testing

/// The no-op record (NoopRecord): a plain apply whose plan was empty records what it read, and
/// the next plain apply with every input unchanged prints the same and exits without planning
/// (CNC_TRACE marks "noop record: holds"); any input changed means the full path, which acts as
/// it would without the record.
@Suite(.serialized) struct NoopRecordTests {
    /// ApplyEndToEndTests' two services; web's V comes from NP_V (default 1).
    static let yaml = spec("np", env: "${NP_V:-1}")

    /// One traced plain apply: the result and whether the record held.
    static func traced(_ app: AppRoot, _ file: String, env: [String: String] = [:]) throws -> (CLI.Result, Bool) {
        var env = env
        env["CNC_TRACE"] = "1"
        let r = try app.apply(["-f", file], env: env)
        return (r, r.stderr.contains("noop record: holds"))
    }

    /// Waits out the racy window (inputs changed within it are not recorded), then applies until
    /// the record is written and holds; returns the full no-op's result.
    static func settle(_ app: AppRoot, _ file: String, env: [String: String] = [:]) throws -> CLI.Result {
        usleep(2_200_000)
        let (full, heldBefore) = try traced(app, file, env: env)
        #expect(!heldBefore, "a record held right after a change")
        #expect(full.status == 0 && full.stdout.hasSuffix("np: no changes\n"), "\(full.stdout)\(full.stderr)")
        #expect(full.stderr.contains("noop record: written"), "\(full.stderr)")
        let (fast, held) = try traced(app, file, env: env)
        #expect(held, "the record did not hold: \(fast.stderr)")
        #expect(fast.status == full.status && fast.stdout == full.stdout, "fast: \(fast.stdout) full: \(full.stdout)")
        #expect(!fast.stderr.contains("apply: spec compiled"), "the fast path compiled the spec")
        return full
    }

    static func stateField(_ app: AppRoot, _ field: String) throws -> String {
        let r = try CLI.run("cnc", ["inspect", "--root", app.root, "--format", field, "np-web-1"])
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func recordFile(_ app: AppRoot) throws -> String {
        let dir = app.root + "/apply-noop"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.count == 1, "\(names)")
        return dir + "/" + (names.first ?? "")
    }

    @Test func fastPathPrintsWhatTheFullPathPrints() throws {
        let app = try AppRoot()
        let file = try app.write(Self.yaml)
        #expect(try app.apply(["-f", file]).status == 0)
        let full = try Self.settle(app, file)
        // Without the trace too, and against ArgumentParser's path (which never uses the record).
        let plain = try app.apply(["-f", file])
        let parsed = try app.apply(["-f", file], env: ["CNC_NO_FAST_PARSE": "1"])
        #expect(plain.stdout == full.stdout && plain.stderr.isEmpty && plain.status == 0)
        #expect(parsed.stdout == plain.stdout && parsed.stderr == plain.stderr && parsed.status == plain.status)
        // A variable a shell or hyperfine changes at every run, which the spec does not read.
        for offset in ["x", "xyz"] {
            #expect(try Self.traced(app, file, env: ["HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET": offset, "SHLVL": offset]).1)
        }
        // --dry-run and diff never take it.
        let dry = try app.apply(["-f", file, "--dry-run"], env: ["CNC_TRACE": "1"])
        #expect(!dry.stderr.contains("noop record"), "\(dry.stderr)")
    }

    @Test func everyInputChangeTakesTheFullPath() throws {
        let app = try AppRoot()
        let file = try app.write(Self.yaml)
        #expect(try app.apply(["-f", file]).status == 0)
        _ = try Self.settle(app, file)

        // The container's process killed outside: the full path sees it and brings it back.
        let pid = try Self.stateField(app, "{{.State.Pid}}")
        #expect(kill(Int32(pid) ?? 0, SIGKILL) == 0)
        usleep(500_000)
        var (r, held) = try Self.traced(app, file)
        #expect(!held && r.status == 0 && !r.stdout.contains("no changes"), "\(r.stdout)\(r.stderr)")
        #expect(try Self.stateField(app, "{{.State.Status}}") == "running")
        _ = try Self.settle(app, file)

        // Its monitor killed (state.json stays as it was): the /proc start time check.
        let state = try String(contentsOfFile: app.root + "/containers/" + Self.stateField(app, "{{.Id}}") + "/state.json", encoding: .utf8)
        let monitor = state.range(of: #""MonitorPid":\s*(\d+)"#, options: .regularExpression).map { String(state[$0].split(separator: ":").last!).trimmingCharacters(in: .whitespaces) }
        #expect(monitor != nil, "\(state)")
        #expect(kill(Int32(monitor ?? "") ?? 0, SIGKILL) == 0)
        usleep(300_000)
        (r, held) = try Self.traced(app, file)
        #expect(!held && r.status == 0 && !r.stdout.contains("no changes"), "\(r.stdout)\(r.stderr)")
        _ = try Self.settle(app, file)

        // The spec edited, same size, mtime put back: the ctime moved.
        // (rewritten in place: same inode, and the directory's entries do not change)
        try app.sh("ref=$(mktemp) && touch -r '\(file)' $ref && python3 -c \"import sys; p = sys.argv[1]; s = open(p).read().replace('NP_V:-1', 'NP_V:-2'); open(p, 'r+').write(s)\" '\(file)' && touch -m -r $ref '\(file)' && rm -f $ref")
        (r, held) = try Self.traced(app, file)
        #expect(!held && !r.stdout.contains("no changes"), "\(r.stdout)")
        _ = try Self.settle(app, file)

        // An environment variable the spec reads.
        (r, held) = try Self.traced(app, file, env: ["NP_V": "3"])
        #expect(!held && !r.stdout.contains("no changes"), "\(r.stdout)\(r.stderr)")
        _ = try Self.settle(app, file, env: ["NP_V": "3"])

        // A .env file appearing beside the spec (interpolation reads it).
        try app.sh("echo NP_V=3 > '\(app.dir)/.env'")
        (r, held) = try Self.traced(app, file, env: ["NP_V": "3"])
        #expect(!held && r.stdout.hasSuffix("np: no changes\n"), "\(r.stdout)\(r.stderr)")
        _ = try Self.settle(app, file, env: ["NP_V": "3"])

        // cnc pause (only the freezer changes): the full path thaws it; then cnc stop.
        #expect(try CLI.run("cnc", ["pause", "--root", app.root, "np-web-1"]).status == 0)
        (r, held) = try Self.traced(app, file, env: ["NP_V": "3"])
        #expect(!held && r.status == 0 && r.stdout.contains("web: start — not running (paused)"), "\(r.stdout)\(r.stderr)")
        #expect(try Self.stateField(app, "{{.State.Status}}") == "running")
        _ = try Self.settle(app, file, env: ["NP_V": "3"])
        #expect(try CLI.run("cnc", ["stop", "-t", "0", "--root", app.root, "np-web-1"]).status == 0)
        (r, held) = try Self.traced(app, file, env: ["NP_V": "3"])
        #expect(!held && !r.stdout.contains("no changes"), "\(r.stdout)\(r.stderr)")
        #expect(try Self.stateField(app, "{{.State.Status}}") == "running")
        _ = try Self.settle(app, file, env: ["NP_V": "3"])

        // Its limits changed outside cncapply (cnc update rewrites cnc.json).
        #expect(try CLI.run("cnc", ["update", "--memory", "48m", "--root", app.root, "np-web-1"]).status == 0)
        (r, held) = try Self.traced(app, file, env: ["NP_V": "3"])
        #expect(!held && r.status == 0, "\(r.stdout)\(r.stderr)")
        _ = try Self.settle(app, file, env: ["NP_V": "3"])

        // Removed outside cncapply.
        #expect(try CLI.run("cnc", ["rm", "-f", "--root", app.root, "np-web-1"]).status == 0)
        (r, held) = try Self.traced(app, file, env: ["NP_V": "3"])
        #expect(!held && !r.stdout.contains("no changes"), "\(r.stdout)\(r.stderr)")
        #expect(try Self.stateField(app, "{{.State.Status}}") == "running")
        _ = try Self.settle(app, file, env: ["NP_V": "3"])

        // Renamed outside cncapply.
        #expect(try CLI.run("cnc", ["rename", "--root", app.root, "np-web-1", "np-elsewhere"]).status == 0)
        (r, held) = try Self.traced(app, file, env: ["NP_V": "3"])
        #expect(!held, "\(r.stdout)\(r.stderr)")
    }

    @Test func aConfigFileEditedTakesTheFullPath() throws {
        let app = try AppRoot()
        try "one\n".write(toFile: app.dir + "/c.txt", atomically: true, encoding: .utf8)
        let file = try app.write(Self.yaml.replacingOccurrences(of: "    environment:\n      V:", with: "    configs: [conf]\n    environment:\n      V:", options: [], range: nil)
            + "configs:\n  conf:\n    file: ./c.txt\n")
        let first = try app.apply(["-f", file])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        _ = try Self.settle(app, file)
        // The same size, in place: only its mtime and ctime move.
        try app.sh("printf 'two\\n' > '\(app.dir)/c.txt'")
        let (r, held) = try Self.traced(app, file)
        #expect(!held && r.status == 0 && r.stdout.contains("web: replace"), "\(r.stdout)\(r.stderr)")
    }

    @Test func garbledOrForeignRecordsAndTheRootLock() throws {
        let app = try AppRoot()
        let file = try app.write(Self.yaml)
        #expect(try app.apply(["-f", file]).status == 0)
        let full = try Self.settle(app, file)
        let record = try Self.recordFile(app)
        let good = try String(contentsOfFile: record, encoding: .utf8)

        for bad in ["garbage\n", "", good.replacingOccurrences(of: "cnc-noop-record 1", with: "cnc-noop-record 0"),
                    String(good.dropLast(3)), good.replacingOccurrences(of: "\nS\t", with: "\nS\t/nonexistent")] {
            try bad.write(toFile: record, atomically: true, encoding: .utf8)
            let (r, held) = try Self.traced(app, file)
            #expect(!held && r.status == 0 && r.stdout == full.stdout, "\(bad.prefix(40)): \(r.stdout)\(r.stderr)")
            // The full path wrote it again.
            #expect(r.stderr.contains("noop record: written"), "\(r.stderr)")
        }
        #expect(try Self.traced(app, file).1)

        // Another apply holds the root: the shortcut waits for it as the full path does.
        let holder = try CLI.exec("/bin/sh", ["-c", "flock '\(app.root)/lock' sleep 1.5 >/dev/null 2>&1 & echo $!"])
        usleep(300_000)
        let start = Date()
        let (r, held) = try Self.traced(app, file)
        #expect(held && r.stdout == full.stdout, "\(r.stderr)")
        #expect(Date().timeIntervalSince(start) > 0.8, "the shortcut did not wait for the root lock")
        // The holder (flock and its sleep) has exited by now: the apply waited for it.
        if let pid = Int32(holder.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) {
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
            #expect(kill(pid, 0) != 0, "the lock holder \(pid) still runs")
        }
    }
}
