/// Media types of the OCI image spec and Docker's schema2, as registries and layouts name them.
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"

    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// Every manifest-ish type cnc understands, for an `Accept` header.
    public static let acceptedManifests = [ociManifest, ociIndex, dockerManifest, dockerManifestList]

    public static func isManifest(_ t: String) -> Bool { t == ociManifest || t == dockerManifest }
    public static func isIndex(_ t: String) -> Bool { t == ociIndex || t == dockerManifestList }
    public static func isLayer(_ t: String) -> Bool { LayerCompression(mediaType: t) != nil }
}

/// How a layer blob is compressed, read off its media type.
public enum LayerCompression: String, Sendable, Codable {
    case none, gzip, zstd

    public init?(mediaType t: String) {
        switch t {
        case MediaType.ociLayer, "application/vnd.docker.image.rootfs.diff.tar": self = .none
        case MediaType.ociLayerGzip, MediaType.dockerLayerGzip, MediaType.ociLayerNondistributableGzip,
             MediaType.dockerForeignLayerGzip: self = .gzip
        case MediaType.ociLayerZstd: self = .zstd
        default: return nil
        }
    }

    public var ociMediaType: String {
        switch self {
        case .none: MediaType.ociLayer
        case .gzip: MediaType.ociLayerGzip
        case .zstd: MediaType.ociLayerZstd
        }
    }
}

/// Well-known annotation keys.
public enum AnnotationKey {
    /// The tag of a manifest in an OCI layout's index.json.
    public static let refName = "org.opencontainers.image.ref.name"
    public static let created = "org.opencontainers.image.created"
    /// containerd's convention for the full image name in an oci-archive.
    public static let imageName = "io.containerd.image.name"
}
