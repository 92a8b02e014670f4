import CNCCore

/// Where an image store keeps things under a state root.
public struct ImageStorePaths: Sendable {
    public let stateRoot: String
    /// The OCI image layout (oci-layout, index.json, blobs/sha256).
    public var images: String { stateRoot + "/images" }
    public var blobs: String { images + "/blobs/sha256" }
    public var index: String { images + "/index.json" }
    /// Unpacked layers, one directory per chain ID (hex only: overlay's lowerdir splits on ':').
    public var layers: String { stateRoot + "/layers" }
    /// Temp files and directories; same filesystem as blobs and layers, so renames are atomic.
    public var tmp: String { stateRoot + "/tmp" }
    /// flock held while index.json and the tag history change.
    public var indexLock: String { stateRoot + "/images.lock" }
    /// Shared by every write that adds blobs before indexing them; exclusive for GC.
    public var ingestLock: String { stateRoot + "/images-ingest.lock" }
    public var tagHistory: String { stateRoot + "/tag-history.json" }

    public init(stateRoot: String) { self.stateRoot = stateRoot }

    public func blob(_ d: Digest) -> String { blobs + "/" + d.encoded }
    public func layer(chainID: Digest) -> String { layers + "/" + chainID.encoded }
}
