import CNCCore
@testable import CNCRuntime
import CNCSystem
import Foundation
import Testing

/// create(startsNext:) defers config.json to the start that follows (and makes the cgroups on a
/// second thread): the start writes it; without a start, finishDeferredSpecs does (an apply
/// calls it before returning), so no container is left without its OCI spec.
@Suite struct StartsNextTests {
    @Test func theSpecOfAStartsNextCreateIsWrittenByItsStartOrByTheFinish() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let rt = try h.runtime()
        var started = CNCHarness.busybox("started", ["sleep", "1000"])
        started = try rt.create(started, startsNext: true)
        try rt.start(started.id).detach()
        #expect(FileSystem.exists(rt.store.directory(started.id) + "/config.json"))
        #expect(try rt.container("started").state.status == .running)
        // Container directories are spread over an ext4's block groups (createSpreadDirectory).
        if FileSystem.fileSystemType(rt.store.containersDir) == 0xEF53 {
            #expect(FileSystem.isTopDirectory(rt.store.containersDir) == true)
        }

        var kept = CNCHarness.busybox("kept", ["true"])
        kept = try rt.create(kept, startsNext: true)
        #expect(!FileSystem.exists(rt.store.directory(kept.id) + "/config.json"))
        rt.finishDeferredSpecs()
        let spec = try FileSystem.readText(rt.store.directory(kept.id) + "/config.json")
        #expect(spec.contains("\"ociVersion\""))
        try rt.remove("started", force: true)
        try rt.remove("kept", force: true)
    }
}
