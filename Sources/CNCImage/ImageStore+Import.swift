import CNCCore
import CNCOCI
import CNCSystem

/// Options of `cnc import`.
public struct ImportOptions: Sendable {
    public var reference: ImageReference?
    /// Dockerfile instructions (`--change`).
    public var changes: [String] = []
    public var message: String?
    public var platform: Platform
    public var policy = UnpackPolicy()
    public init(reference: ImageReference?, platform: Platform) {
        self.reference = reference
        self.platform = platform
    }
}

extension ImageStore {
    /// `cnc import`: a rootfs tarball (plain, gzip or zstd) becomes a one-layer image. The layer is
    /// stored uncompressed (its digest is its diff ID) and unpacked into the layer cache in the same
    /// pass. On failure nothing new remains in the store.
    public func importRootfs(from source: any ByteSource, options: ImportOptions, sourceName: String) throws -> ResolvedImage {
        var containerConfig = ContainerConfig()
        for change in options.changes { try ImageChange.apply(change, to: &containerConfig) }
        let hold = try ingestHold()
        defer { hold.unlock() }
        var created: [String] = []
        let writer = try blobWriter()
        do {
            let layerExisted = Set(try FileSystem.listDirectory(paths.layers))
            let (dir, report) = try unpackLayer(from: source, chainID: nil, expectedDiffID: nil, layer: sourceName,
                                                policy: options.policy, tee: { try writer.write($0) })
            if !layerExisted.contains(FileSystem.baseName(dir)) { created.append(dir) }
            let layerBlobExisted = hasBlob(report.diffID)
            let (layerDigest, layerSize) = try writer.commit(expected: report.diffID)
            if !layerBlobExisted { created.append(paths.blob(layerDigest)) }
            let now = Self.now()
            let config = ImageConfig(
                created: now, architecture: options.platform.architecture, os: options.platform.os,
                config: containerConfig, rootfs: RootFS(diffIDs: [report.diffID]),
                history: [History(created: now, createdBy: "cnc import \(sourceName)", comment: options.message)])
            let configDesc = try putTracked(try CanonicalJSON.encode(config), MediaType.ociConfig, &created)
            let manifest = Manifest(config: configDesc, layers: [Descriptor(mediaType: MediaType.ociLayer, digest: layerDigest, size: layerSize)])
            let manifestDesc = try putTracked(try CanonicalJSON.encode(manifest), MediaType.ociManifest, &created)
            return try addImage(manifest: manifestDesc, imageID: configDesc.digest, names: options.reference.map { [$0] } ?? [], action: "import")
        } catch {
            writer.abort()
            for p in created.reversed() { try? FileSystem.removeTree(p) }
            throw error
        }
    }

    func putTracked(_ bytes: [UInt8], _ mediaType: String, _ created: inout [String]) throws -> Descriptor {
        let d = SHA256Hasher.digest(bytes)
        let existed = hasBlob(d)
        let desc = try putBlob(bytes, mediaType: mediaType, expected: d)
        if !existed { created.append(paths.blob(d)) }
        return desc
    }
}
