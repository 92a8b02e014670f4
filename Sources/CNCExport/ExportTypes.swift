import CNCCore
import CNCSpec

/// Where `cncapply export` sends an app: Kubernetes objects, a Compose file for
/// `docker stack deploy`, or the normalized Compose file.
public enum ExportTarget: String, CaseIterable, Sendable {
    case kubernetes, swarm, compose
}

/// An image as cnc's store holds it: what export pins a reference to.
public struct StoredImage: Sendable, Hashable {
    /// The digest of the manifest in the store (what `cnc push` pushes, byte for byte).
    public var manifestDigest: Digest
    /// `repo@sha256:...` digests the image was pulled or pushed by.
    public var repoDigests: [String]

    public init(manifestDigest: Digest, repoDigests: [String] = []) {
        self.manifestDigest = manifestDigest
        self.repoDigests = repoDigests
    }
}

/// What export reads besides the compiled spec, passed in so export stays a pure function.
public struct ExportInputs: Sendable {
    /// The store's image for a reference (nil: not in the store, kept as written).
    public var image: @Sendable (ImageReference) -> StoredImage?
    /// The bytes of a config or secret file (absolute path), nil when unreadable.
    public var readFile: @Sendable (String) -> [UInt8]?
    /// The variables the spec was interpolated with (configs and secrets from `environment:`).
    public var environment: [String: String]

    public init(image: @escaping @Sendable (ImageReference) -> StoredImage? = { _ in nil },
                readFile: @escaping @Sendable (String) -> [UInt8]? = { _ in nil },
                environment: [String: String] = [:]) {
        self.image = image
        self.readFile = readFile
        self.environment = environment
    }
}

/// `--namespace`, `--image-registry`: how the export is addressed.
public struct ExportOptions: Sendable {
    public var target: ExportTarget
    /// The Kubernetes namespace (default: the app's name).
    public var namespace: String?
    /// Rewrites references of local images (not from another registry) to `REG/...`.
    public var imageRegistry: String?

    public init(target: ExportTarget, namespace: String? = nil, imageRegistry: String? = nil) {
        self.target = target
        self.namespace = namespace
        self.imageRegistry = imageRegistry
    }
}

/// One exported object (a Kubernetes object, or the whole Compose file) and its file name under `-o DIR`.
public struct ExportedObject: Sendable, Hashable {
    /// A plain file name (`deployment-web.yaml`): never a host path.
    public var fileName: String
    public var value: JSONValue
}

/// A key of the spec that the target cannot express, with why.
public struct ExportLoss: Sendable, Hashable {
    /// The key path as the spec compiler names it (`services.web.cap_add`).
    public var path: String
    public var target: ExportTarget
    public var why: String

    public init(_ path: String, _ target: ExportTarget, _ why: String) {
        self.path = path
        self.target = target
        self.why = why
    }

    /// `FILE:LINE:COL: services.NAME.KEY: not exported to TARGET: why`, placed through the spec's source map.
    public func diagnostic(_ map: SourceMap) -> SpecDiagnostic {
        SpecDiagnostic(map.mark(path), path, "not exported to \(target.rawValue): \(why)")
    }
}

/// A local image the export names under another reference: `--push` pushes `source` as `destination`.
public struct ImagePush: Sendable, Hashable {
    /// The reference in cnc's store.
    public var source: ImageReference
    /// Where the export's objects expect it (`REG/path:tag`).
    public var destination: ImageReference
}

/// The export: its objects in a stable order, what did not carry over, and the images to push.
public struct ExportResult: Sendable {
    public var objects: [ExportedObject]
    public var losses: [ExportLoss]
    public var pushes: [ImagePush]
}
