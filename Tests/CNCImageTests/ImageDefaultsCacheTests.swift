import CNCCore
import CNCImage
import CNCSystem
import CNCTestSupport
import Testing

/// The start path's cache of resolved image defaults: same answer as a full resolve, and
/// never stale after a tag move or a lost layer.
@Suite struct ImageDefaultsCacheTests {
    func defaults(_ f: StoreFixture, _ ref: String) throws -> ImageDefaults {
        let img = try f.store.resolve(ref)
        return ImageDefaults(img, lowerDirs: try f.store.prepareRootfs(img), reference: ref)
    }

    @Test func roundTripsEveryField() throws {
        let f = try StoreFixture()
        try f.importBusybox("app:v1", changes: [
            "CMD [\"sh\", \"-c\", \"echo a\"]", "ENTRYPOINT [\"/bin/env\"]", "ENV A=1", "ENV B=\"two words\"", "WORKDIR /tmp",
            "USER 1000:1000", "EXPOSE 80", "VOLUME /data", "LABEL k=v", "LABEL x=y=z", "STOPSIGNAL SIGINT",
        ])
        let root = f.store.paths.stateRoot
        #expect(ImageDefaultsCache.load(stateRoot: root, reference: "app:v1") == nil)
        var d = try defaults(f, "app:v1")
        d.healthcheck = ["CMD-SHELL", "true"]
        d.healthInterval = 5
        d.healthRetries = 2
        ImageDefaultsCache.save(d, stateRoot: root, reference: "app:v1")
        let c = try #require(ImageDefaultsCache.load(stateRoot: root, reference: "app:v1"))
        #expect(c.id == d.id && c.lowerDirs == d.lowerDirs && c.env == d.env && c.entrypoint == d.entrypoint && c.cmd == d.cmd)
        #expect(c.workingDir == "/tmp" && c.user == "1000:1000" && c.stopSignal == "SIGINT")
        #expect(c.healthcheck == ["CMD-SHELL", "true"] && c.healthInterval == 5 && c.healthRetries == 2 && c.healthTimeout == nil)
        #expect(c.volumes == ["/data"] && c.exposedPorts == ["80/tcp"] && c.labels == ["k": "v", "x": "y=z"])
        // Another reference has its own entry.
        #expect(ImageDefaultsCache.load(stateRoot: root, reference: "app:v2") == nil)
    }

    @Test func aTagMoveOrAMissingLayerIsAMiss() throws {
        let f = try StoreFixture()
        try f.importBusybox("app:v1", changes: ["ENV V=1"])
        let root = f.store.paths.stateRoot
        ImageDefaultsCache.save(try defaults(f, "app:v1"), stateRoot: root, reference: "app:v1")
        #expect(ImageDefaultsCache.load(stateRoot: root, reference: "app:v1")?.env == ["V=1"])
        try f.importBusybox("app:v1", changes: ["ENV V=2"])  // index.json rewritten
        #expect(ImageDefaultsCache.load(stateRoot: root, reference: "app:v1") == nil)
        let d = try defaults(f, "app:v1")
        ImageDefaultsCache.save(d, stateRoot: root, reference: "app:v1")
        #expect(ImageDefaultsCache.load(stateRoot: root, reference: "app:v1")?.env == ["V=2"])
        try FileSystem.removeTree(d.lowerDirs[0])
        #expect(ImageDefaultsCache.load(stateRoot: root, reference: "app:v1") == nil)
    }
}
