import CNCCore
import CNCImage
import CNCOCI
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

@Suite struct ImageStoreTests {
    @Test func unknownImagesAndBadReferencesAreClearErrors() throws {
        let f = try StoreFixture()
        let e = #expect(throws: CNCError.self) { try f.store.resolve("nosuch:tag") }
        #expect(e?.code == .notFound)
        #expect(e?.description == "No such image: nosuch:tag")
        let bad = #expect(throws: CNCError.self) { try f.store.resolve("bad::ref") }
        #expect(bad?.code == .invalidArgument)
    }

    @Test func tagMovesAreRecordedAndOutliveTheTag() throws {
        let f = try StoreFixture()
        let a = try f.importBusybox("app:v1", changes: ["ENV V=1"])
        let b = try f.importBusybox("app:v1", changes: ["ENV V=2"])
        // The old image stays, untagged.
        #expect(try f.store.list().contains { $0.id == a.id && $0.tag == "<none>" })
        try f.store.tag("app:v1", as: try ImageReference(parsing: "app:stable"))
        try f.store.tag(a.id.description, as: try ImageReference(parsing: "app:v1"))
        let h = try f.store.tagHistory(try ImageReference(parsing: "app:v1"))
        #expect(h.map(\.old) == [nil, a.manifestDigest, b.manifestDigest])
        #expect(h.map(\.new) == [a.manifestDigest, b.manifestDigest, a.manifestDigest])
        #expect(h.map(\.action) == ["import", "import", "tag"])
        _ = try f.store.remove("app:v1", force: false)
        _ = try f.store.remove("app:stable", force: false)
        let after = try f.store.tagHistory(try ImageReference(parsing: "app:v1"))
        #expect(after.count == 4 && after.last?.new == nil)
        #expect(after.last?.old == a.manifestDigest, "history outlives the tag")
    }

    @Test func rmiAndPruneNeverRemoveWhatIsInUse() throws {
        final class Box: @unchecked Sendable { var set = InUseSet() }
        let box = Box()
        let f = try StoreFixture(inUse: { box.set })
        let a = try f.importBusybox("keep:1", changes: ["ENV K=1"])
        let b = try f.importBusybox(nil, changes: ["ENV K=2"])
        box.set = InUseSet(imageDigests: [a.id], chainIDs: [])
        let e = #expect(throws: CNCError.self) { try f.store.remove("keep:1", force: false) }
        #expect(e?.code == .conflict)
        // Both images share the one layer: pruning the dangling one keeps layer and blob.
        let report = try f.store.prune(all: true)
        #expect(report.deletedImages == [b.id])
        #expect(try f.store.resolve("keep:1").id == a.id)
        #expect(try f.store.prepareRootfs(a).allSatisfy { FileSystem.exists($0 + "/bin/busybox") })
        // Forced rmi of an image in use untags it but keeps it for the container.
        let lines = try f.store.remove("keep:1", force: true)
        #expect(lines == ["Untagged: keep:1"])
        #expect(try f.store.resolve(a.id.description).id == a.id)
        // Once unused, prune takes it all: blobs and layers.
        box.set = InUseSet()
        _ = try f.store.prune(all: false)
        #expect(try f.blobCount() == 0)
        #expect(try FileSystem.listDirectory(f.store.paths.layers).isEmpty)
    }

    @Test func rmiDeletesTheLastTagAndCollects() throws {
        let f = try StoreFixture()
        let a = try f.importBusybox("one:1")
        try f.store.tag("one:1", as: try ImageReference(parsing: "two:2"))
        let e = #expect(throws: CNCError.self) { try f.store.remove(String(a.id.encoded.prefix(12)), force: false) }
        #expect(e?.description.contains("referenced in multiple repositories") == true)
        #expect(try f.store.remove("two:2", force: false) == ["Untagged: two:2"])
        let lines = try f.store.remove("one:1", force: false)
        #expect(lines == ["Untagged: one:1", "Deleted: \(a.id)"])
        #expect(try f.blobCount() == 0)
        #expect(try f.store.readIndex().manifests.isEmpty)
    }

    @Test func failedImportLeavesNothingBehind() throws {
        let f = try StoreFixture()
        try f.importBusybox("base:1")
        let before = try FileSystem.listDirectory(f.store.paths.blobs)
        let layersBefore = try FileSystem.listDirectory(f.store.paths.layers)
        let bad = f.dir.path + "/bad.tar"
        let r = try run("python3", ["-c", "import tarfile,io,sys\nt=tarfile.open(sys.argv[1],'w')\ni=tarfile.TarInfo('ok');i.size=2;t.addfile(i,io.BytesIO(b'ok'))\ni=tarfile.TarInfo('../x');i.size=1;t.addfile(i,io.BytesIO(b'x'))\nt.close()", bad])
        #expect(r.status == 0)
        var o = ImportOptions(reference: try ImageReference(parsing: "bad:1"), platform: Platform(architecture: "amd64", os: "linux"))
        o.changes = []
        let e = #expect(throws: CNCError.self) {
            try f.store.importRootfs(from: try FileStream.openForReading(bad), options: o, sourceName: "bad.tar")
        }
        #expect(e?.description.contains("refused entry \"../x\"") == true)
        #expect(try FileSystem.listDirectory(f.store.paths.blobs) == before)
        #expect(try FileSystem.listDirectory(f.store.paths.layers) == layersBefore)
        #expect(try FileSystem.listDirectory(f.store.paths.tmp).isEmpty)
        #expect(throws: CNCError.self) { try f.store.resolve("bad:1") }
    }

    @Test func concurrentWritersNeverCorruptTheIndex() async throws {
        let f = try StoreFixture()
        let img = try f.importBusybox("src:1")
        let root = f.store.paths.stateRoot
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<6 {
                group.addTask {
                    // Separate store objects: separate lock fds, as separate processes would have.
                    let s = try ImageStore(stateRoot: root)
                    for i in 0..<8 { try s.tag("src:1", as: try ImageReference(parsing: "w\(w):t\(i)")) }
                }
            }
            try await group.waitForAll()
        }
        let names = try f.store.resolve(img.id.description).names
        #expect(names.count == 1 + 6 * 8)
        #expect(try f.store.tagHistory().count == 1 + 6 * 8)
    }

    @Test(arguments: [
        ("CMD echo hi", ["/bin/sh", "-c", "echo hi"]),
        ("CMD [\"sh\"]", ["sh"]),
        ("ENTRYPOINT [\"/bin/app\", \"-v\"]", ["/bin/app", "-v"]),
    ] as [(String, [String])])
    func changeInstructions(line: String, want: [String]) throws {
        var c = ContainerConfig()
        try ImageChange.apply(line, to: &c)
        #expect((line.hasPrefix("CMD") ? c.cmd : c.entrypoint) == want)
    }

    @Test func envAndLabelForms() throws {
        var c = ContainerConfig()
        try ImageChange.apply("ENV A=1 B=\"two words\"", to: &c)
        try ImageChange.apply("ENV C 3", to: &c)
        try ImageChange.apply("LABEL org.x=y", to: &c)
        #expect(c.env == ["A=1", "B=two words", "C=3"])
        #expect(c.labels == ["org.x": "y"])
    }

    @Test func changeInstructionErrors() {
        var c = ContainerConfig()
        #expect(throws: CNCError.self) { try ImageChange.apply("RUN rm -rf /", to: &c) }
        #expect(throws: CNCError.self) { try ImageChange.apply("EXPOSE http", to: &c) }
        #expect(throws: CNCError.self) { try ImageChange.apply("CMD [broken", to: &c) }
    }
}
