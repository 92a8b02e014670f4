import CNCCore
import CNCOCI

/// What the engine says is in use and must survive rmi and prune: images by ID (config digest)
/// or manifest digest, and unpacked layers by chain ID.
public struct InUseSet: Sendable {
    public var imageDigests: Set<Digest>
    public var chainIDs: Set<Digest>
    public init(imageDigests: Set<Digest> = [], chainIDs: Set<Digest> = []) {
        self.imageDigests = imageDigests
        self.chainIDs = chainIDs
    }
}

/// An image as a container needs it: identity, config, and its layers.
public struct ResolvedImage: Sendable, Hashable {
    /// The image ID as Docker shows it: the digest of the config blob.
    public var id: Digest
    /// The digest of the (platform) manifest in the store.
    public var manifestDigest: Digest
    public var manifest: Manifest
    public var config: ImageConfig
    /// Tags that point at this image (normalized references).
    public var names: [ImageReference]
    /// `repo@sha256:...` digests the image was pulled or pushed by.
    public var repoDigests: [String]
    /// Uncompressed layer digests, bottom first.
    public var diffIDs: [Digest] { config.rootfs.diffIDs }
    /// Chain IDs, bottom first (the unpacked-layer cache keys).
    public var chainIDs: [Digest] { ChainID.chain(config.rootfs.diffIDs, sha256: SHA256Hasher.digest) }
    /// Sum of the layer blob sizes.
    public var size: Int64 { manifest.layers.reduce(0) { $0 + $1.size } }
}

/// One row of `cnc images`.
public struct ImageSummary: Sendable, Hashable, Codable {
    public var repository: String
    public var tag: String
    public var digest: String
    public var id: Digest
    public var manifestDigest: Digest
    public var created: String?
    public var size: Int64
}

/// One recorded move of a tag: which image it pointed at before and after, and when.
public struct TagMove: Sendable, Hashable, Codable {
    /// The normalized reference, e.g. docker.io/library/web:v2.
    public var reference: String
    /// Manifest digests (nil: the tag did not exist / was removed).
    public var old: Digest?
    public var new: Digest?
    /// Image IDs (config digests) for display.
    public var oldID: Digest?
    public var newID: Digest?
    /// RFC 3339 UTC.
    public var time: String
    /// tag, untag, import, load, pull, rmi.
    public var action: String

    package init(reference: String, old: Digest?, new: Digest?, oldID: Digest?, newID: Digest?, time: String, action: String) {
        self.reference = reference
        self.old = old
        self.new = new
        self.oldID = oldID
        self.newID = newID
        self.time = time
        self.action = action
    }
}

/// The durable tag-history file.
package struct TagHistoryFile: Codable {
    package var version: Int = 1
    package var moves: [TagMove] = []
    package init() {}
}

/// Annotations cnc puts on index.json entries besides the OCI ref name.
public enum StoreAnnotation {
    /// `repo@digest` the image is known by in a registry (comma-separated).
    public static let repoDigests = "dev.cnc.repo-digests"
    /// The image ID (config digest), so listing needs no config reads.
    public static let imageID = "dev.cnc.image-id"
}
