import CNCCore
import CNCOCI
import CNCSystem

/// What a prune or GC removed.
public struct PruneReport: Sendable, Codable {
    public var deletedImages: [Digest] = []
    public var untagged: [String] = []
    public var blobsRemoved = 0
    public var layersRemoved = 0
    public var bytesReclaimed: Int64 = 0
}

extension ImageStore {
    /// `cnc image prune`: removes dangling images (all unused images with `all`) that no
    /// container uses, then collects unreferenced blobs and unpacked layers.
    /// `matching` (docker's prune filters): only the unused images it accepts go.
    public func prune(all: Bool, matching: ((ResolvedImage) -> Bool)? = nil) throws -> PruneReport {
        let inUse = try self.inUse()
        var report = try updateIndex { index, moves -> PruneReport in
            var r = PruneReport()
            let now = Self.now()
            var removed = Set<Digest>()
            var kept: [Descriptor] = []
            for e in index.manifests {
                let id = e.annotations?[StoreAnnotation.imageID].flatMap { try? Digest($0) }
                let used = inUse.imageDigests.contains(e.digest) || id.map { inUse.imageDigests.contains($0) } ?? false
                let tag = e.annotations?[AnnotationKey.refName]
                if used || (tag != nil && !all) || (matching.map { m in (try? load(e.digest, index: index)).map(m) != true } ?? false) {
                    kept.append(e)
                    continue
                }
                if let tag {
                    // As docker prints it: `busybox:latest`, not the stored docker.io/library/ form.
                    r.untagged.append((try? ImageReference(parsing: tag))?.familiar ?? tag)
                    moves.append(TagMove(reference: tag, old: e.digest, new: nil, oldID: id, newID: nil, time: now, action: "prune"))
                }
                if let id, !removed.contains(e.digest) { r.deletedImages.append(id) }
                removed.insert(e.digest)
            }
            index.manifests = kept
            return r
        }
        let gc = try garbageCollect()
        report.blobsRemoved = gc.blobsRemoved
        report.layersRemoved = gc.layersRemoved
        report.bytesReclaimed = gc.bytesReclaimed
        return report
    }

    /// Removes blobs no index entry (or in-use image) reaches, unpacked layers no image or
    /// container uses, and leftovers in tmp/. Waits for in-progress imports/pulls (ingest lock).
    public func garbageCollect() throws -> PruneReport {
        let ingest = try FileLock(path: paths.ingestLock, exclusive: true)
        defer { ingest.unlock() }
        let inUse = try self.inUse()
        return try FileLock.withLock(paths.indexLock) {
            var report = PruneReport()
            // The start path's cached image defaults: rebuilt on the next start of each image.
            try? FileSystem.removeTree(paths.stateRoot + "/image-cache")
            let index = try readIndex()
            var keepBlobs = Set<Digest>()
            var keepChains = inUse.chainIDs
            var roots = index.manifests.map(\.digest)
            roots += inUse.imageDigests.filter { hasBlob($0) }
            while let d = roots.popLast() {
                guard !keepBlobs.contains(d), hasBlob(d) else { continue }
                keepBlobs.insert(d)
                let probe = try decodeBlob(JSONValue.self, d)
                if probe["manifests"] != nil {
                    roots += try decodeBlob(Index.self, d).manifests.map(\.digest)
                    continue
                }
                guard probe["layers"] != nil, probe["config"] != nil else { continue }
                let m = try manifest(d)
                keepBlobs.insert(m.config.digest)
                for l in m.layers { keepBlobs.insert(l.digest) }
                if let config = try? imageConfig(m.config.digest) {
                    keepChains.formUnion(ChainID.chain(config.rootfs.diffIDs, sha256: SHA256Hasher.digest))
                }
            }
            for name in try FileSystem.listDirectory(paths.blobs) {
                guard let d = try? Digest(algorithm: .sha256, encoded: name), keepBlobs.contains(d) else {
                    let p = paths.blobs + "/" + name
                    report.bytesReclaimed += FileSystem.fileSize(p) ?? 0
                    try FileSystem.remove(p)
                    report.blobsRemoved += 1
                    continue
                }
            }
            for name in try FileSystem.listDirectory(paths.layers) {
                if let d = try? Digest(algorithm: .sha256, encoded: name), keepChains.contains(d) { continue }
                let p = paths.layers + "/" + name
                report.bytesReclaimed += FileSystem.diskUsage(p)
                try FileSystem.removeTree(p)
                report.layersRemoved += 1
            }
            for name in try FileSystem.listDirectory(paths.tmp) {
                try FileSystem.removeTree(paths.tmp + "/" + name)
            }
            return report
        }
    }
}

extension ImageStore {
    /// The layer blobs the images of the index use (only tagged ones with `taggedOnly`):
    /// what `cnc builder prune` must never take.
    public func layerDigestsOfImages(taggedOnly: Bool) throws -> Set<Digest> {
        var out = Set<Digest>()
        var roots = try readIndex().manifests.filter { !taggedOnly || $0.annotations?[AnnotationKey.refName] != nil }.map(\.digest)
        var seen = Set<Digest>()
        while let d = roots.popLast() {
            guard seen.insert(d).inserted, hasBlob(d) else { continue }
            let probe = try decodeBlob(JSONValue.self, d)
            if probe["manifests"] != nil {
                roots += try decodeBlob(Index.self, d).manifests.map(\.digest)
            } else if probe["layers"] != nil {
                out.formUnion(try manifest(d).layers.map(\.digest))
            }
        }
        return out
    }
}
