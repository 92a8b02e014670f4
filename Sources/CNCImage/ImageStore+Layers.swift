import CNCCore
import CNCOCI
import CNCSystem

extension ImageStore {
    /// The unpacked layer directories of `image`, top-most first (overlay's lowerdir order),
    /// unpacking any that are not in the cache yet. The directories are shared and must be
    /// used read-only (as overlay lowers).
    public func prepareRootfs(_ image: ResolvedImage, policy: UnpackPolicy = UnpackPolicy()) throws -> [String] {
        let chains = image.chainIDs
        guard chains.count == image.manifest.layers.count else {
            throw CNCError(.integrity, "image \(image.id.short) has \(image.manifest.layers.count) layers but \(chains.count) diff IDs")
        }
        var dirs: [String] = []
        for (i, chain) in chains.enumerated() {
            dirs.append(try ensureLayer(chainID: chain, diffID: image.diffIDs[i], blob: image.manifest.layers[i], policy: policy))
        }
        return dirs.reversed()
    }

    /// layers/<chain hex>, unpacked from the layer blob if missing (verifying its diff ID).
    func ensureLayer(chainID: Digest, diffID: Digest, blob: Descriptor, policy: UnpackPolicy) throws -> String {
        let dest = paths.layer(chainID: chainID)
        if FileSystem.exists(dest) { return dest }
        let hold = try ingestHold()
        defer { hold.unlock() }
        let source = try FileStream.openForReading(paths.blob(blob.digest))
        defer { source.close() }
        return try unpackLayer(from: source, chainID: chainID, expectedDiffID: diffID, layer: blob.digest.description, policy: policy).path
    }

    /// Unpacks a layer stream into a temp dir and renames it to layers/<chain hex> once its diff
    /// ID is verified. `chainID` nil: the layer is the image's first, so its chain ID is its diff
    /// ID, known only at the end. On any failure the temp dir is removed and nothing else touched.
    func unpackLayer(from source: any ByteSource, chainID: Digest?, expectedDiffID: Digest?, layer: String,
                     policy: UnpackPolicy, tee: (@Sendable (UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> (path: String, report: UnpackReport) {
        let tmp = try FileStream.createTemporaryDirectory(in: paths.tmp, prefix: "layer-")
        do {
            try FileSystem.setMode(tmp, 0o755)
            let report = try LayerUnpacker.unpack(from: source, into: tmp, layer: layer, policy: policy, tee: tee)
            if let expectedDiffID, report.diffID != expectedDiffID {
                throw CNCError(.integrity, "failed to unpack layer \(layer): diff ID mismatch: the image config says \(expectedDiffID), the content is \(report.diffID)")
            }
            let chain = chainID ?? report.diffID
            let dest = paths.layer(chainID: chain)
            if FileSystem.exists(dest) {
                try FileSystem.removeTree(tmp)
            } else {
                do { try FileSystem.moveItem(tmp, to: dest) } catch where FileSystem.exists(dest) {
                    try FileSystem.removeTree(tmp)  // another process finished it first
                }
            }
            return (dest, report)
        } catch {
            try? FileSystem.removeTree(tmp)
            throw error
        }
    }
}
