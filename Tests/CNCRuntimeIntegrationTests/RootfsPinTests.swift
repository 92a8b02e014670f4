import CNCCore
@testable import CNCRuntime
import CNCSystem
import Foundation
import Testing

/// A stop pins the container's root (RootfsPins): the overlay outlives the container's mount
/// namespace, so its shutdown (a sync of the whole upper file system) is not part of the exit
/// the stop waits for. The pin ends at the next start of that container (before the new mount),
/// with its removal (handed to the deleter) or at `releaseRootPins` (the end of an apply).
@Suite struct RootfsPinTests {
    @Test func aStopHoldsTheOverlayUntilTheNextStartTheReleaseOrTheRemoval() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let rt = try h.runtime()
        var c = CNCHarness.busybox("pinned", ["sh", "-c", "echo kept > /marker; exec sleep 1000"])
        c = try rt.create(c)
        try rt.start(c.id).detach()
        #expect(RootfsPins.held(c.id) == nil)
        try rt.stop("pinned", timeout: 0)
        // The exit is recorded; the overlay is still there, held by the pin alone (its mount
        // namespace died with the container), and it is the container's: its upper has /marker.
        #expect(try rt.container("pinned").state.status == .exited)
        let pin = try #require(RootfsPins.held(c.id))
        #expect(try FileSystem.readText("/proc/self/fd/\(pin)/marker") == "kept\n")
        #expect(FileSystem.exists("/proc/self/fd/\(pin)/bin/sh"))

        // The next start lets it go before mounting the upper directory again; the container's
        // writable layer is intact.
        try rt.start(c.id).detach()
        #expect(RootfsPins.held(c.id) == nil)
        #expect(try rt.container("pinned").state.status == .running)
        try rt.stop("pinned", timeout: 0)
        #expect(RootfsPins.held(c.id) != nil)
        rt.releaseRootPins()
        #expect(RootfsPins.held(c.id) == nil)

        // A removal takes it along (the detached deleter closes it, then deletes the directory).
        try rt.start(c.id).detach()
        try rt.stop("pinned", timeout: 0)
        #expect(RootfsPins.held(c.id) != nil)
        let directory = rt.store.directory(c.id)
        try rt.remove("pinned")
        #expect(RootfsPins.held(c.id) == nil)
        #expect(!FileSystem.exists(directory))
    }

    /// Inside a trash batch removals only collect: the trashed directories (and pins) wait for
    /// the batch's end, which hands them all to one deleter.
    @Test func aTrashBatchHandsEveryRemovalToOneDeleterAtItsEnd() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let rt = try h.runtime()
        var ids: [ContainerID] = []
        for name in ["batched-a", "batched-b"] {
            var c = CNCHarness.busybox(name, ["sleep", "1000"])
            c = try rt.create(c)
            try rt.start(c.id).detach()
            ids.append(c.id)
        }
        let trash = rt.store.root + "/.trash"
        func trashed() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? []).filter { n in ids.contains { n.hasPrefix($0.rawValue) } }
        }
        rt.beginTrashBatch()
        try rt.stop("batched-a", timeout: 0)
        try rt.remove("batched-a")
        try rt.remove("batched-b", force: true)
        #expect(throws: (any Error).self) { try rt.container("batched-a") }
        #expect(throws: (any Error).self) { try rt.container("batched-b") }
        // Both directories left their place at once; nothing deletes them before the end.
        let ephemeral = ids.allSatisfy { rt.store.isEphemeral(rt.store.directory($0)) }
        if !ephemeral {
            Processes.sleep(milliseconds: 200)
            #expect(trashed().count == 2)
        }
        #expect(ids.allSatisfy { RootfsPins.held($0) == nil })
        rt.endTrashBatch()
        let deadline = Processes.monotonicNanos() + 10_000_000_000
        while !trashed().isEmpty && Processes.monotonicNanos() < deadline { Processes.sleep(milliseconds: 10) }
        #expect(trashed().isEmpty)
    }

    /// `rm -f` of a running container pins it before the SIGKILL and hands the pin to the
    /// deleter with the directory: nothing is left held here, the trash empties.
    @Test func aForcedRemovalHandsThePinToTheDeleter() throws {
        guard CNCHarness.canRun else { return }
        let h = CNCHarness()
        defer { try? h.tearDown() }
        let rt = try h.runtime()
        var c = CNCHarness.busybox("forced", ["sleep", "1000"])
        c = try rt.create(c)
        try rt.start(c.id).detach()
        try rt.remove("forced", force: true)
        #expect(RootfsPins.held(c.id) == nil)
        let trash = rt.store.root + "/.trash"
        let deadline = Processes.monotonicNanos() + 10_000_000_000
        while ((try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? []).contains(where: { $0.hasPrefix(c.id.rawValue) })
            && Processes.monotonicNanos() < deadline {
            Processes.sleep(milliseconds: 10)
        }
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? []).contains(where: { $0.hasPrefix(c.id.rawValue) }))
    }
}
