import CNCCore
import CNCImage
import CNCSystem

extension BuildCache {
    /// What `cnc builder prune` removed.
    public struct PruneResult: Sendable {
        public var entries = 0
        public var bytes: Int64 = 0
    }

    /// `cnc builder prune`: removes the cache entries whose layer no image uses (and those whose
    /// blob is already gone), then the blobs and unpacked layers nothing else reaches (the
    /// store's GC); `all` removes every entry except those whose layer a tagged image uses,
    /// and the RUN cache mounts. Either way the contexts' stat caches go (`ContextStatCache`: a
    /// shortcut, rebuilt by the next build); the per-service input records (a directory) stay.
    /// A blob of a tagged image is never removed. Holds the store's
    /// ingest lock exclusively while it decides, so no build adds entries meanwhile.
    public func prune(store: ImageStore, all: Bool) throws -> PruneResult {
        var result = PruneResult()
        do {
            let ingest = try FileLock(path: store.paths.ingestLock, exclusive: true)
            defer { ingest.unlock() }
            let kept = try store.layerDigestsOfImages(taggedOnly: all)
            for name in (try? FileSystem.listDirectory(directory)) ?? [] where !FileSystem.isDirectory(path(name)) {
                let entry = lookup(name)
                if let entry {
                    if let layer = entry.layer {
                        if kept.contains(layer.digest) && store.hasBlob(layer.digest) { continue }
                    } else if !all {
                        continue
                    }
                }
                result.bytes += FileSystem.fileSize(path(name)) ?? 0
                try FileSystem.remove(path(name))
                result.entries += 1
            }
            result.bytes += try ContextStatCache.remove(stateRoot: store.paths.stateRoot)
            if all {
                let mounts = store.paths.stateRoot + "/build-cache-mounts"
                if FileSystem.exists(mounts) {
                    result.bytes += FileSystem.diskUsage(mounts)
                    try FileSystem.removeTree(mounts)
                }
            }
        }
        result.bytes += try store.garbageCollect().bytesReclaimed
        return result
    }
}
