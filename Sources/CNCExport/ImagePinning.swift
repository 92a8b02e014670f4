import CNCCore

/// Image references as the export writes them: pinned by digest when cnc's store holds the image,
/// rewritten to `--image-registry` when the image is local (never pulled from a registry).
struct ImagePinning {
    let registry: String?
    let lookup: @Sendable (ImageReference) -> StoredImage?
    private(set) var pushes: Set<ImagePush> = []

    init(registry: String?, lookup: @escaping @Sendable (ImageReference) -> StoredImage?) {
        self.registry = registry
        self.lookup = lookup
    }

    /// The reference to write for `ref`. A reference with a digest, or one the store lacks, stays as written.
    mutating func reference(_ ref: ImageReference) -> String {
        guard ref.digest == nil, let stored = lookup(ref) else { return ref.familiar }
        let fromRegistry = stored.repoDigests.compactMap { try? ImageReference(parsing: $0) }.first { $0.name == ref.name }
        if let registry, fromRegistry == nil {
            let path = ref.domain == ImageReference.defaultDomain && ref.path.hasPrefix("library/") ? String(ref.path.dropFirst(8)) : ref.path
            let tag = ref.tag ?? ImageReference.defaultTag
            if let destination = try? ImageReference(parsing: "\(registry)/\(path):\(tag)") {
                pushes.insert(ImagePush(source: ref, destination: destination))
                return ImageReference(domain: destination.domain, path: destination.path, tag: tag, digest: stored.manifestDigest).familiar
            }
        }
        let digest = fromRegistry?.digest ?? stored.manifestDigest
        return ImageReference(domain: ref.domain, path: ref.path, tag: ref.tag, digest: digest).familiar
    }

    /// Why the nodes of a cluster cannot pull `ref` as exported (nil when they can, or when the
    /// store lacks it): an image only in cnc's store (built or imported here, never pulled) and
    /// no `--image-registry` to push it to.
    func unpullable(_ ref: ImageReference, built: Bool) -> String? {
        guard registry == nil, ref.digest == nil, let stored = lookup(ref),
              !stored.repoDigests.contains(where: { (try? ImageReference(parsing: $0))?.name == ref.name }) else { return nil }
        let what = built ? "built here" : "only in cnc's store (never pulled from a registry)"
        return "\(ref.familiar) is \(what), so the nodes cannot pull it: --image-registry REG --push puts it where they can"
    }

    /// `--image-registry`: a registry host (`host[:port]`, optionally with a path: `host/team`), no tag or digest.
    static func validate(registry: String) throws {
        let last = registry.split(separator: "/").last ?? ""
        guard !registry.isEmpty, !registry.hasSuffix("/"), !registry.contains("@"), !(registry.contains("/") && last.contains(":")),
              (try? ImageReference(parsing: registry + "/x:1")) != nil else {
            throw CNCError(.invalidArgument, "invalid --image-registry \"\(registry)\": want a registry such as registry.example.com, localhost:5000 or host/team")
        }
    }
}
