import CNCCore
import CNCImage
import CNCSpec

/// Resolves every image a spec names to the manifest digest it runs, honouring pull_policy:
/// `missing` pulls what the store lacks, `always` pulls every time, `never` requires it local.
public enum ImageResolution {
    public static func digests(
        for app: AppSpec, store: ImageStore, pull: (ImageReference) throws -> ResolvedImage,
        note: (String) -> Void = { _ in }
    ) throws -> [String: Digest] {
        try requireImages(app)
        var out: [String: Digest] = [:]
        var pulled: Set<String> = []
        for (name, s) in app.services.sorted(by: { $0.key < $1.key }) {
            // A service with build: gets its image from the build step, never from a pull.
            guard let ref = s.image, s.build == nil else { continue }
            let key = ref.description
            if out[key] != nil && !(s.pullPolicy == .always && !pulled.contains(key)) { continue }
            let local = try? store.resolve(key)
            switch s.pullPolicy {
            case .never:
                guard let local else {
                    throw CNCError(.notFound, "service \(name): image \(ref.familiar) is not in the local store and pull_policy is never")
                }
                out[key] = local.manifestDigest
            case .always:
                note("\(name): pulling \(ref.familiar)")
                out[key] = try pull(ref).manifestDigest
                pulled.insert(key)
            default:
                if let local {
                    out[key] = local.manifestDigest
                } else {
                    note("\(name): pulling \(ref.familiar)")
                    out[key] = try pull(ref).manifestDigest
                    pulled.insert(key)
                }
            }
        }
        return out
    }
}

extension ImageResolution {
    /// Every service names an image (services with only `build:` are given theirs by
    /// `AppSpec.namingBuiltImages()` before the engine sees them).
    public static func requireImages(_ app: AppSpec) throws {
        for (name, s) in app.services.sorted(by: { $0.key < $1.key }) where s.image == nil {
            throw CNCError(.internal, "service \(name) has no image name (its build: was not named)")
        }
    }

    /// The digests of the spec's images that are in the store now, never pulling (diff, status
    /// and rollback plan with these; a missing image shows as a pending change).
    /// `missing` hears of each service whose image is not here (or that an apply would pull
    /// anyway, `pull_policy: always`).
    public static func localDigests(for app: AppSpec, store: ImageStore, missing: (String) -> Void = { _ in }) -> [String: Digest] {
        var out: [String: Digest] = [:]
        for (name, s) in app.services.sorted(by: { $0.key < $1.key }) {
            guard let ref = s.image else { continue }
            // Services sharing an image resolve it once.
            if out[ref.description] == nil, let image = try? store.resolve(ref.description) { out[ref.description] = image.manifestDigest }
            if let b = s.build {
                missing("\(name): an apply would build \(ref.familiar) from \(b.context)"
                    + (b.dockerfileInline == nil ? " (\(b.dockerfile))" : " (dockerfile_inline)"))
            } else if out[ref.description] == nil {
                missing("\(name): \(ref.familiar) is not in the local store: " + (s.pullPolicy == .never
                    ? "an apply would fail (pull_policy never)" : "an apply would pull it"))
            } else if s.pullPolicy == .always {
                missing("\(name): pull_policy always: an apply would pull \(ref.familiar) again")
            }
        }
        return out
    }
}

extension ImageStore: ImageTagger {}
