import CNCCore
import CNCImage
import CNCOCI
import Foundation

/// `cnc pull`: manifest (or index -> platform manifest), config, then each layer streamed into
/// the store and unpacked as it downloads. Nothing is left behind when it fails.
public enum ImagePuller {
    /// `unpack: false` stores (and verifies) the blobs only; prepareRootfs unpacks at first use.
    public static func pull(_ ref: ImageReference, store: ImageStore, client: RegistryClient, platform: Platform,
                            policy: UnpackPolicy = UnpackPolicy(), unpack: Bool = true,
                            log: (String) -> Void = { _ in }) throws -> ResolvedImage {
        try store.withIngestHold {
            var record = IngestRecord()
            do {
                return try pullHeld(ref, store: store, client: client, platform: platform, policy: policy, unpack: unpack,
                                    record: &record, log: log)
            } catch {
                store.discard(record)
                throw error
            }
        }
    }

    static func pullHeld(_ ref: ImageReference, store: ImageStore, client: RegistryClient, platform: Platform,
                         policy: UnpackPolicy, unpack: Bool, record: inout IngestRecord, log: (String) -> Void) throws -> ResolvedImage {
        let repo = ref.path
        let top = try client.manifest(repo, reference: ref.digest?.description ?? ref.tag ?? ImageReference.defaultTag)
        if let want = ref.digest, want != top.digest {
            throw CNCError(.integrity, "digest mismatch: asked for \(want), the registry sent \(top.digest)")
        }
        var fetched = top
        if MediaType.isIndex(top.mediaType) {
            let index: Index
            do { index = try JSONDecoder().decode(Index.self, from: Data(top.bytes)) } catch {
                throw CNCError(.integrity, "invalid image index from \(client.host)/\(repo)", cause: String(describing: error))
            }
            guard let pick = index.manifest(for: platform) else {
                let have = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
                throw CNCError(.notFound, "no matching manifest for \(platform) in the manifest list entries (have: \(have))")
            }
            fetched = try client.manifest(repo, reference: pick.digest.description)
        }
        guard MediaType.isManifest(fetched.mediaType) else {
            throw CNCError(.unsupported, "unsupported manifest media type \"\(fetched.mediaType)\" for \(ref.familiar)")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: Data(fetched.bytes)) } catch {
            throw CNCError(.integrity, "invalid manifest from \(client.host)/\(repo)", cause: String(describing: error))
        }
        log("\(ref.tag ?? ref.digest?.description ?? ""): Pulling from \(repo)")
        if !store.hasBlob(manifest.config.digest) {
            var bytes: [UInt8] = []
            try client.fetchBlob(repo, manifest.config.digest) { bytes.append(contentsOf: $0) }
            try store.putBlob(bytes, mediaType: manifest.config.mediaType, expected: manifest.config.digest, record: &record)
        }
        let config = try store.imageConfig(manifest.config.digest)
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw CNCError(.integrity, "image config lists \(config.rootfs.diffIDs.count) diff IDs for \(manifest.layers.count) layers")
        }
        let chains = ChainID.chain(config.rootfs.diffIDs, sha256: SHA256Hasher.digest)
        for (i, layer) in manifest.layers.enumerated() {
            let short = String(layer.digest.encoded.prefix(12))
            if unpack ? store.hasLayer(layer.digest, chainID: chains[i]) : store.hasBlob(layer.digest) {
                log("\(short): Already exists")
                continue
            }
            guard LayerCompression(mediaType: layer.mediaType) != nil else {
                throw CNCError(.unsupported, "unsupported layer media type \"\(layer.mediaType)\" (\(layer.digest))")
            }
            if !unpack {
                let writer = try store.blobWriter()
                do {
                    try client.fetchBlob(repo, layer.digest) { try writer.write($0) }
                    try writer.commit(expected: layer.digest, size: layer.size)
                } catch {
                    writer.abort()
                    throw error
                }
                record.paths.append(store.paths.blob(layer.digest))
                log("\(short): Download complete")
                continue
            }
            try store.ingestLayer(layer, diffID: config.rootfs.diffIDs[i], chainID: chains[i], policy: policy, record: &record) { consume in
                try client.fetchBlob(repo, layer.digest, sink: consume)
            }
            log("\(short): Pull complete")
        }
        let desc = try store.putBlob(fetched.bytes, mediaType: fetched.mediaType, expected: fetched.digest, record: &record)
        let names = ref.tag != nil ? [ImageReference(domain: ref.domain, path: ref.path, tag: ref.tag, digest: nil)] : []
        let image = try store.addImage(manifest: desc, imageID: manifest.config.digest, names: names,
                                       repoDigest: "\(ref.name)@\(top.digest)", action: "pull")
        log("Digest: \(top.digest)")
        return image
    }
}
