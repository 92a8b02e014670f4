import CNCCore
import CNCImage
import CNCSystem

extension BuildCache {
    /// One build cache record as `cnc system df` shows it (docker's build cache records): a step
    /// entry, or a RUN cache mount directory.
    public struct Record: Sendable {
        public var id: String
        /// `regular` for a step, `exec.cachemount` for a RUN cache mount (docker's types).
        public var type: String
        /// The entry's own bytes plus its layer blob when no image holds that blob (an image's
        /// layers count under Images).
        public var size: Int64
        public var created: String?
        /// When a build last used it (seconds since the epoch).
        public var lastUsed: Int?
        /// An image uses its layer: `cnc builder prune --all` keeps it when that image is tagged.
        public var shared: Bool
        /// What `cnc builder prune --all` would remove.
        public var reclaimable: Bool
    }

    /// The records of the cache, with the sizes `cnc builder prune --all` reclaims (the blobs
    /// only cache entries hold are counted once, under the first entry that holds them).
    public func usage(store: ImageStore) throws -> [Record] {
        let byImages = try store.layerDigestsOfImages(taggedOnly: false)
        let byTagged = try store.layerDigestsOfImages(taggedOnly: true)
        var counted: Set<CNCCore.Digest> = []
        var out: [Record] = []
        for name in ((try? FileSystem.listDirectory(directory)) ?? []).sorted() {
            let entry = lookup(name)
            var size = FileSystem.fileSize(path(name)) ?? 0
            var shared = false
            var reclaimable = true
            if let layer = entry?.layer {
                shared = byImages.contains(layer.digest)
                reclaimable = !(byTagged.contains(layer.digest) && store.hasBlob(layer.digest))
                if !shared, counted.insert(layer.digest).inserted, let blob = FileSystem.fileSize(store.paths.blobs + "/" + layer.digest.encoded) {
                    size += blob
                }
            }
            out.append(Record(id: name, type: "regular", size: size, created: entry?.history.created,
                              lastUsed: FileSystem.modificationTime(path(name)), shared: shared, reclaimable: reclaimable))
        }
        let mounts = store.paths.stateRoot + "/build-cache-mounts"
        for name in ((try? FileSystem.listDirectory(mounts)) ?? []).sorted() {
            let dir = mounts + "/" + name
            out.append(Record(id: name, type: "exec.cachemount", size: FileSystem.diskUsage(dir), created: nil,
                              lastUsed: FileSystem.modificationTime(dir), shared: false, reclaimable: true))
        }
        return out
    }
}
