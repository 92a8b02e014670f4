import CNCCore
import Foundation
import Testing

/// `cncapply --no-start` creates an app's containers without starting them (it started them
/// before); the next plain apply starts them.
@Suite(.serialized) struct ApplyNoStartTests {
    @Test func noStartCreatesAndAPlainApplyStarts() throws {
        let app = try AppRoot()
        let file = try app.write(spec("ns"))
        let r = try app.apply(["-f", file, "--no-start"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        var cs = try app.containers()
        #expect(Set(cs.keys) == ["ns-web-1", "ns-worker-1", "ns-worker-2"])
        #expect(cs.values.allSatisfy { $0["_status"] == "created" }, "\(cs.mapValues { $0["_status"] ?? "" })")
        let start = try app.apply(["-f", file])
        #expect(start.status == 0, "\(start.stdout)\(start.stderr)")
        #expect(start.stdout.contains("web: start"), "\(start.stdout)")
        cs = try app.containers()
        #expect(cs.values.allSatisfy { $0["_status"] == "running" }, "\(cs.mapValues { $0["_status"] ?? "" })")
        #expect(try app.apply(["down", "-p", "ns"]).status == 0)
    }
}
