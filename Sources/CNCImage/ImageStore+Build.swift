import CNCCore
import CNCOCI
import CNCSystem

/// A layer a build made or reused: its blob (stored uncompressed, so digest = diff ID) and size.
public struct BuiltLayer: Codable, Sendable, Hashable {
    public var digest: Digest
    public var size: Int64
    public init(digest: Digest, size: Int64) {
        self.digest = digest
        self.size = size
    }
    public var descriptor: Descriptor { Descriptor(mediaType: MediaType.ociLayer, digest: digest, size: size) }
}

extension ImageStore {
    /// A build step's layer: the tar at `tarPath` (moved into the blob store) on top of the
    /// layers `parentDiffIDs` name, unpacked into the layer cache through the hardened unpacker.
    /// Returns the layer and its unpacked directory.
    public func adoptBuiltLayer(tarPath: String, parentDiffIDs: [Digest]) throws -> (layer: BuiltLayer, directory: String) {
        var created: [String] = []
        do {
            let (diffID, size) = try adoptBlob(tarPath, expected: nil, &created)
            let layer = BuiltLayer(digest: diffID, size: size)
            let dir = try builtLayerDirectory(layer, parentDiffIDs: parentDiffIDs)
            return (layer, dir)
        } catch {
            for p in created { try? FileSystem.removeTree(p) }
            throw error
        }
    }

    /// The unpacked directory of a built layer on top of `parentDiffIDs` (unpacked again from its
    /// blob when the layer cache lost it); nil when the blob itself is gone.
    public func builtLayerDirectory(_ layer: BuiltLayer, parentDiffIDs: [Digest]) throws -> String {
        let chain = ChainID.chain(parentDiffIDs + [layer.digest], sha256: SHA256Hasher.digest).last ?? layer.digest
        let dir = paths.layer(chainID: chain)
        if FileSystem.exists(dir) { return dir }
        return try ensureLayerUnheld(chainID: chain, diffID: layer.digest, blob: layer.descriptor, policy: UnpackPolicy())
    }

    /// The unpacked directories of `layers` (bottom first), top-most first as overlay wants them.
    public func builtLayerDirectories(_ layers: [Descriptor], diffIDs: [Digest]) throws -> [String] {
        guard layers.count == diffIDs.count else {
            throw CNCError(.integrity, "a build stage has \(layers.count) layers but \(diffIDs.count) diff IDs")
        }
        let chains = ChainID.chain(diffIDs, sha256: SHA256Hasher.digest)
        var dirs: [String] = []
        for (i, chain) in chains.enumerated() {
            let dir = paths.layer(chainID: chain)
            dirs.append(FileSystem.exists(dir) ? dir
                        : try ensureLayerUnheld(chainID: chain, diffID: diffIDs[i], blob: layers[i], policy: UnpackPolicy()))
        }
        return dirs.reversed()
    }

    /// Records a built image: its config and manifest blobs, then the index entry with `names`
    /// (tag moves recorded in the tag history as `build`).
    public func addBuiltImage(layers: [Descriptor], config: ImageConfig, names: [ImageReference]) throws -> ResolvedImage {
        var created: [String] = []
        do {
            let configDesc = try putTracked(try CanonicalJSON.encode(config), MediaType.ociConfig, &created)
            let manifest = Manifest(config: configDesc, layers: layers)
            let manifestDesc = try putTracked(try CanonicalJSON.encode(manifest), MediaType.ociManifest, &created)
            return try addImage(manifest: manifestDesc, imageID: configDesc.digest, names: names, action: "build")
        } catch {
            for p in created.reversed() { try? FileSystem.removeTree(p) }
            throw error
        }
    }
}
