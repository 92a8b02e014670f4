import CNCCore
import CNCImage
import CNCOCI

/// `cnc push`: blobs the registry lacks (cross-repo mounted when the image is known in another
/// repository of the same registry), then the manifest under the tag.
public enum ImagePusher {
    @discardableResult
    public static func push(_ source: String, to ref: ImageReference, store: ImageStore, client: RegistryClient,
                            log: (String) -> Void = { _ in }) throws -> Digest {
        let image = try store.resolve(source)
        let repo = ref.path
        // A repository of the same registry that already holds this image's blobs.
        let mountFrom = image.repoDigests.compactMap { rd -> String? in
            guard let r = try? ImageReference(parsing: rd), r.domain == ref.domain, r.path != repo else { return nil }
            return r.path
        }.first
        log("The push refers to repository [\(ref.name)]")
        for blob in image.manifest.layers + [image.manifest.config] {
            let outcome = try client.uploadBlob(repo, digest: blob.digest, size: blob.size, path: store.paths.blob(blob.digest), mountFrom: mountFrom)
            let short = String(blob.digest.encoded.prefix(12))
            switch outcome {
            case .existed: log("\(short): Layer already exists")
            case .mounted: log("\(short): Mounted from \(mountFrom ?? "")")
            case .uploaded: log("\(short): Pushed")
            }
        }
        let bytes = try store.readBlob(image.manifestDigest)
        let tag = ref.tag ?? ImageReference.defaultTag
        let digest = try client.putManifest(repo, reference: ref.digest?.description ?? tag, bytes: bytes,
                                            mediaType: image.manifest.mediaType ?? MediaType.ociManifest)
        let desc = Descriptor(mediaType: image.manifest.mediaType ?? MediaType.ociManifest, digest: image.manifestDigest, size: Int64(bytes.count))
        try store.addImage(manifest: desc, imageID: image.id, names: [], repoDigest: "\(ref.name)@\(digest)", action: "push")
        log("\(tag): digest: \(digest) size: \(bytes.count)")
        return digest
    }
}
