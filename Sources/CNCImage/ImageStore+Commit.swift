import CNCCore
import CNCOCI
import CNCSystem

/// What `cnc commit` makes of a container besides its layer.
public struct CommitOptions: Sendable {
    public var reference: ImageReference?
    /// The new image's execution defaults before `changes`: the container's own (its Cmd, Env,
    /// ... as it was created), as Docker's commit takes them.
    public var config: ContainerConfig
    /// Dockerfile instructions (`--change`), applied to `config`.
    public var changes: [String] = []
    public var message: String?
    public var author: String?
    /// The history entry's `created_by` (Docker: the container's command).
    public var createdBy: String
    /// Platform of an image with no parent (a container of a plain directory).
    public var platform: Platform
    public init(reference: ImageReference?, config: ContainerConfig, createdBy: String, platform: Platform) {
        self.reference = reference
        self.config = config
        self.createdBy = createdBy
        self.platform = platform
    }
}

extension ImageStore {
    /// `cnc commit`: `writeLayer` writes the container's changes as a layer tar; it becomes a
    /// new image on top of `parent`'s layers (stored uncompressed, so its digest is its diff
    /// ID, and unpacked into the layer cache, so the image runs at once), with `options`'
    /// config and a history entry. On failure nothing new remains in the store.
    public func commit(parent: ResolvedImage?, options: CommitOptions, writeLayer: (TarWriter) throws -> Void) throws -> ResolvedImage {
        var containerConfig = options.config
        for change in options.changes { try ImageChange.apply(change, to: &containerConfig) }
        let hold = try ingestHold()
        defer { hold.unlock() }
        var created: [String] = []
        let tmp = try FileStream.createTemporary(in: paths.tmp, prefix: "commit-")
        do {
            let tar = try TarWriter(to: tmp)
            try writeLayer(tar)
            try tar.finish()
            try tmp.sync()
            tmp.close()
            // Stored uncompressed: the layer's digest is its diff ID.
            let (diffID, size) = try adoptBlob(tmp.path, expected: nil, &created)
            try? FileSystem.remove(tmp.path)
            let diffIDs = (parent?.diffIDs ?? []) + [diffID]
            let chain = ChainID.chain(diffIDs, sha256: SHA256Hasher.digest).last ?? diffID
            let layer = Descriptor(mediaType: MediaType.ociLayer, digest: diffID, size: size)
            let layerExisted = FileSystem.exists(paths.layer(chainID: chain))
            let dir = try ensureLayerUnheld(chainID: chain, diffID: diffID, blob: layer, policy: UnpackPolicy())
            if !layerExisted { created.append(dir) }
            let now = Self.now()
            var history = parent?.config.history ?? []
            var entry = History(created: now, createdBy: options.createdBy, comment: options.message)
            entry.author = options.author
            history.append(entry)
            let platform = parent?.config.platform ?? options.platform
            var config = ImageConfig(created: now, author: options.author, architecture: platform.architecture, os: platform.os,
                                     config: containerConfig, rootfs: RootFS(diffIDs: diffIDs), history: history)
            config.variant = platform.variant
            let configDesc = try putTracked(try CanonicalJSON.encode(config), MediaType.ociConfig, &created)
            let manifest = Manifest(config: configDesc, layers: (parent?.manifest.layers ?? []) + [layer])
            let manifestDesc = try putTracked(try CanonicalJSON.encode(manifest), MediaType.ociManifest, &created)
            return try addImage(manifest: manifestDesc, imageID: configDesc.digest, names: options.reference.map { [$0] } ?? [], action: "commit")
        } catch {
            tmp.close()
            try? FileSystem.remove(tmp.path)
            for p in created.reversed() { try? FileSystem.removeTree(p) }
            throw error
        }
    }
}
