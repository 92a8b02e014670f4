import Foundation
import Testing

/// cncapply's plain apply form, read without ArgumentParser, prints and exits exactly as the
/// full parser's path does (CNC_NO_FAST_PARSE=1 forces that path), and every other form still
/// goes through ArgumentParser.
@Suite(.serialized) struct ApplyFastPathCLITests {
    /// Runs `cncapply ARGS --root ROOT` both ways and expects the same stdout, stderr and exit
    /// status; returns the result and whether the fast path read the arguments (CNC_TRACE
    /// marks "parsed (fast)").
    static func bothWays(_ app: AppRoot, _ args: [String]) throws -> (result: CLI.Result, fast: Bool) {
        let fast = try app.apply(args)
        let full = try app.apply(args, env: ["CNC_NO_FAST_PARSE": "1"])
        #expect(fast.status == full.status, "\(args): exit \(fast.status) fast, \(full.status) full")
        #expect(fast.stdout == full.stdout, "\(args)")
        #expect(fast.stderr == full.stderr, "\(args)")
        let traced = try app.apply(args, env: ["CNC_TRACE": "1"])
        let forced = try app.apply(args, env: ["CNC_TRACE": "1", "CNC_NO_FAST_PARSE": "1"])
        #expect(!forced.stderr.contains("parsed (fast)"), "\(args): CNC_NO_FAST_PARSE=1 still took the fast path")
        return (fast, traced.stderr.contains("parsed (fast)"))
    }

    @Test func bothPathsPrintAndExitAlike() throws {
        let app = try AppRoot()
        let good = try app.write(spec("fp"))
        let bad = try app.write("name: fp\nservices:\n  web:\n    image: app:stable\n    bogus_key: 1\n", name: "bad.yaml")
        let first = try app.apply(["-f", good])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")

        // Plain forms: the fast path reads them.
        for args in [["-f", good], ["apply", "--file=" + good, "-p", "fp"], ["-f", good, "--log-level", "ERROR"]] {
            let (r, fast) = try Self.bothWays(app, args)
            #expect(fast, "\(args) did not take the fast path")
            #expect(r.status == 0 && r.stdout.contains("fp: no changes"), "\(args): \(r.stdout)\(r.stderr)")
        }
        for args in [["-f", app.dir + "/missing.yaml"], ["-f", bad]] {
            let (r, fast) = try Self.bothWays(app, args)
            #expect(fast, "\(args) did not take the fast path")
            #expect(r.status == 1 && !r.stderr.isEmpty, "\(args): \(r.status) \(r.stderr)")
        }
        #expect(try Self.bothWays(app, ["-f", bad]).result.stderr.contains("bad.yaml:5:"))

        // Anything else: ArgumentParser reads it (and reports its errors) as before.
        for args in [["-f", good, "--dry-run"], ["--bogus"], ["-f"], ["-f", good, "--log-level", "loud"], ["-fx", good], ["-f", good, "--watch", "--plan", "p"]] {
            let (r, fast) = try Self.bothWays(app, args)
            #expect(!fast, "\(args) took the fast path")
            if args.count > 2 && args[2] == "--dry-run" {
                #expect(r.status == 0 && r.stdout.contains("fp: no changes"), "\(r.stdout)\(r.stderr)")
            } else {
                #expect(r.status != 0 && r.stderr.contains("Error"), "\(args): \(r.status) \(r.stderr)")
            }
        }
    }
}
