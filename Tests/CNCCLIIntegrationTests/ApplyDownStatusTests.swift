import CNCCore
import Foundation
import Testing

/// After `down` an app is down, not broken: status says so and exits 0, history is kept, and a
/// later apply creates its services anew. `status` exits non-zero when replicas are missing or
/// the last revision failed (for scripts and CI).
@Suite(.serialized) struct ApplyDownStatusTests {
    @Test func downThenStatusThenApplyAgain() throws {
        let app = try AppRoot()
        let file = try app.write(spec("ds"))
        #expect(try app.apply(["-f", file]).status == 0)
        let healthy = try app.apply(["status", "-p", "ds"])
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")

        // A container removed behind cncapply's back: replicas missing, status says so and fails.
        let id = try CLI.run("cnc", ["ps", "-q", "--no-trunc", "--root", app.root, "--filter", "name=ds-web-1"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try CLI.run("cnc", ["rm", "-f", "--root", app.root, id]).status == 0)
        let missing = try app.apply(["status", "-p", "ds"])
        #expect(missing.status == 1, "\(missing.stdout)\(missing.stderr)")
        #expect(missing.stdout.contains("web") && missing.stdout.contains("0/1"), "\(missing.stdout)")
        let json = try app.apply(["status", "-p", "ds", "-o", "json"])
        #expect(json.status == 1 && json.stdout.contains("\"containers\": 0"), "\(json.stdout)")

        #expect(try app.apply(["down", "-p", "ds"]).status == 0)
        let down = try app.apply(["status", "-p", "ds"])
        #expect(down.status == 0, "\(down.stdout)\(down.stderr)")
        #expect(down.stdout.hasPrefix("ds: down (revision 1 (succeeded) kept"), "\(down.stdout)")
        #expect(!down.stdout.contains("missing"), "\(down.stdout)")
        #expect(try app.apply(["history", "-p", "ds"]).stdout.split(separator: "\n").count == 2)

        let again = try app.apply(["-f", file, "--dry-run"])
        #expect(again.stdout.contains("web: create — new service"), "\(again.stdout)")
        #expect(!again.stdout.contains("removed outside cnc"), "\(again.stdout)")
        #expect(try app.apply(["-f", file]).status == 0)
        #expect(try app.apply(["status", "-p", "ds"]).status == 0)
        #expect(try app.apply(["down", "-p", "ds"]).status == 0)
        // Down again, or down of a name never applied: Compose's warning, exit 0, and no app
        // comes into being (ls -a does not list it, status does not call it down).
        let again2 = try app.apply(["down", "-p", "ds"])
        #expect(again2.status == 0 && again2.stderr == "Warning: No resource found to remove for project \"ds\".\n", "\(again2.stderr)")
        let unknown = try app.apply(["down", "-p", "nosuch"])
        #expect(unknown.status == 0 && unknown.stderr == "Warning: No resource found to remove for project \"nosuch\".\n", "\(unknown.stderr)")
        #expect(!(try app.apply(["ls", "-a"]).stdout.contains("nosuch")))
        #expect(!(try app.apply(["status", "-p", "nosuch"]).stdout.contains("down")))
    }

    /// `down` that waits out a grace period says why, once per container, as apply's stop and
    /// `cnc stop` do; one whose PID 1 handles SIGTERM says nothing of it.
    @Test func downSaysWhyItWaitsOutTheGracePeriod() throws {
        let app = try AppRoot()
        let file = try app.write("""
            name: dg
            services:
              deaf:
                image: app:stable
                command: ["sleep", "1000"]
                network_mode: none
                stop_grace_period: 1s
              polite:
                image: app:stable
                command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
                network_mode: none
                stop_grace_period: 5s

            """)
        #expect(try app.apply(["-f", file]).status == 0)
        let down = try app.apply(["down", "-p", "dg"])
        #expect(down.status == 0, "\(down.stderr)")
        let lines = down.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0 == "dg-deaf-1: waiting up to 1s: PID 1 ignores SIGTERM (init: true or STOPSIGNAL helps)" }.count == 1, "\(down.stdout)")
        #expect(!lines.contains { $0.hasPrefix("dg-polite-1: waiting") }, "\(down.stdout)")
        #expect(lines.contains("dg-deaf-1: removed") && lines.contains("dg-polite-1: removed"), "\(down.stdout)")
        // -t 0: no wait, nothing to say.
        #expect(try app.apply(["-f", file]).status == 0)
        let now = try app.apply(["down", "-p", "dg", "-t", "0"])
        #expect(now.status == 0 && !now.stdout.contains("waiting"), "\(now.stdout)")
    }
}
