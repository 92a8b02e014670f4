import CNCCore
import CNCImage
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// The store's layout as its peers read it (skopeo, umoci: outside tools).
@Suite struct ImageStorePeerTests {
    @Test func importedImageIsAValidOCILayoutForSkopeoAndUmoci() throws {
        let f = try StoreFixture()
        let img = try f.importBusybox("cnc-test/busybox:1", changes: ["CMD [\"sh\"]", "ENV A=1", "WORKDIR /tmp", "EXPOSE 80"])
        #expect(img.config.config?.cmd == ["sh"])
        #expect(img.config.config?.env == ["A=1"])
        #expect(img.config.config?.exposedPorts?["80/tcp"] != nil)
        #expect(img.names.map(\.familiar) == ["cnc-test/busybox:1"])
        let layout = f.store.paths.images
        let ref = "docker.io/cnc-test/busybox:1"
        let s = try run("skopeo", ["inspect", "oci:\(layout):\(ref)"])
        #expect(s.status == 0, "skopeo: \(s.err)")
        #expect(s.out.contains(img.manifestDigest.description))
        let bundle = f.dir.path + "/bundle"
        let u = try run("umoci", ["unpack", "--image", "\(layout):\(ref)", bundle])
        #expect(u.status == 0, "umoci: \(u.err)")
        #expect(FileSystem.isExecutable(bundle + "/rootfs/bin/busybox"))
        // The layer cache already holds the unpacked layer: prepareRootfs gives it, top-most first.
        let lowers = try f.store.prepareRootfs(try f.store.resolve("cnc-test/busybox:1"))
        #expect(lowers == [f.store.paths.layer(chainID: img.chainIDs[0])])
        #expect(FileSystem.isExecutable(lowers[0] + "/bin/busybox"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: lowers[0] + "/bin/sh") == "/bin/busybox")
        // Resolve by short ID, full ID and manifest digest.
        #expect(try f.store.resolve(String(img.id.encoded.prefix(12))).id == img.id)
        #expect(try f.store.resolve(img.id.description).id == img.id)
        #expect(try f.store.resolve(img.manifestDigest.encoded).id == img.id)
    }
}
