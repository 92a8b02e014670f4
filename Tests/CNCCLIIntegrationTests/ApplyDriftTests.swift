import CNCCore
import Foundation
import Testing

/// What a no-op apply must still notice on the real runtime, now that observing reads only
/// part of each container's cnc.json: a limit changed by hand, a container removed by hand, an
/// image tag that moved. Each is planned and converged; afterwards the apply is a no-op again.
@Suite(.serialized) struct ApplyDriftTests {
    @Test func aNoOpApplySeesLimitsRemovalsAndMovedTags() throws {
        let app = try AppRoot()
        let file = try app.write(spec("drift").replacingOccurrences(of: "    stop_grace_period: 0s\n    environment:",
                                                                    with: "    stop_grace_period: 0s\n    mem_limit: 64m\n    environment:"))
        let first = try app.apply(["-f", file])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try app.apply(["-f", file]).stdout.contains("drift: no changes"))

        // A limit changed by hand is put back in place.
        let update = try CLI.run("cnc", ["update", "--root", app.root, "--memory", "128m", "drift-web-1"])
        #expect(update.status == 0, "\(update.stderr)")
        let limits = try app.apply(["-f", file])
        #expect(limits.status == 0, "\(limits.stderr)")
        #expect(limits.stdout.contains("web: update-limits — memory 128MiB -> 64MiB"), "\(limits.stdout)")

        // A container removed by hand comes back.
        #expect(try CLI.run("cnc", ["rm", "-f", "--root", app.root, "drift-worker-2"]).status == 0)
        let removed = try app.apply(["-f", file])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("container missing (removed outside cnc)"), "\(removed.stdout)")
        #expect(Set(try app.containers().keys) == ["drift-web-1", "drift-worker-1", "drift-worker-2"])

        // The tag now names another image: both services are replaced with it.
        try app.importImage("app:stable", marker: "v2")
        let moved = try app.apply(["-f", file])
        #expect(moved.status == 0, "\(moved.stderr)")
        for action in ["web: replace", "worker: replace [1]", "worker: replace [2]"] {
            #expect(moved.stdout.contains("\(action) — image docker.io/library/app:stable sha256:"), "\(moved.stdout)")
        }

        let settled = try app.apply(["-f", file])
        #expect(settled.stdout.contains("drift: no changes"), "\(settled.stdout)")
        #expect(try app.apply(["down", "-p", "drift"]).status == 0)
    }
}
