import CNCCore
import Testing
@testable import CNCEngine

/// An app's container shows its image the way the spec names it (what `cnc ps` prints), not the
/// normalized reference.
@Suite struct ShownImageTests {
    @Test(arguments: [
        ("busybox", "busybox"), ("busybox:1.36", "busybox:1.36"), ("me/app", "me/app"),
        ("localhost:5000/app:1", "localhost:5000/app:1"), ("docker.io/library/nginx:latest", "nginx"),
    ])
    func familiarWithoutTheImpliedLatest(_ written: String, _ shown: String) throws {
        #expect(RuntimeBackend.shown(try ImageReference(parsing: written)) == shown)
    }
}
