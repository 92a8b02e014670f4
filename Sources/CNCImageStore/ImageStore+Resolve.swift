import CNCCore
import CNCOCI
import CNCSystem

extension ImageStore {
    /// Finds an image by reference (`busybox`, `me/app:1`, `host:5000/a@sha256:...`), by full or
    /// short image ID (`3f57d9401f8d`, `sha256:3f57...`), or by manifest digest.
    /// Throws `.notFound` "No such image: X" when nothing matches, `.conflict` when a short ID is ambiguous.
    public func resolve(_ text: String) throws -> ResolvedImage {
        let index = try readIndex()
        guard let manifestDigest = try findManifest(text, in: index) else {
            throw CNCError(.notFound, "No such image: \(text)")
        }
        return try load(manifestDigest, index: index)
    }

    /// The resolved image for a manifest digest known to the index.
    package func load(_ manifestDigest: Digest, index: Index) throws -> ResolvedImage {
        let entries = index.manifests.filter { $0.digest == manifestDigest }
        let manifest = try self.manifest(manifestDigest)
        let config = try imageConfig(manifest.config.digest)
        let names = entries.compactMap { $0.annotations?[AnnotationKey.refName] }.compactMap { try? ImageReference(parsing: $0) }
        var repoDigests: [String] = []
        for e in entries {
            for r in (e.annotations?[StoreAnnotation.repoDigests] ?? "").split(separator: ",") where !repoDigests.contains(String(r)) {
                repoDigests.append(String(r))
            }
        }
        return ResolvedImage(id: manifest.config.digest, manifestDigest: manifestDigest, manifest: manifest, config: config,
                             names: names.sorted { $0.description < $1.description }, repoDigests: repoDigests)
    }

    package func findManifest(_ text: String, in index: Index) throws -> Digest? {
        let hex = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        let looksLikeID = hex.count >= 4 && hex.count <= 64 && hex.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        if looksLikeID {
            var matches = Set<Digest>()
            for e in index.manifests {
                let id = e.annotations?[StoreAnnotation.imageID]
                if e.digest.encoded.hasPrefix(hex) || (id.map { $0.dropFirst(7).hasPrefix(hex) } ?? false) {
                    matches.insert(e.digest)
                }
            }
            if matches.count == 1 { return matches.first }
            if matches.count > 1 {
                throw CNCError(.conflict, "ambiguous image ID \"\(text)\": it matches \(matches.count) images; give more digits")
            }
            if text.hasPrefix("sha256:") { return nil }
        }
        let ref = try ImageReference(parsing: text)
        if let digest = ref.digest {
            for e in index.manifests {
                if e.digest == digest, sameRepository(e, ref) || ref.tag == nil { return e.digest }
                let repoDigests = (e.annotations?[StoreAnnotation.repoDigests] ?? "").split(separator: ",")
                if repoDigests.contains(where: { $0 == "\(ref.name)@\(digest)" }) { return e.digest }
            }
            return index.manifests.first { $0.digest == digest }?.digest
        }
        let wanted = ref.description
        return index.manifests.first { $0.annotations?[AnnotationKey.refName] == wanted }?.digest
    }

    private func sameRepository(_ e: Descriptor, _ ref: ImageReference) -> Bool {
        guard let name = e.annotations?[AnnotationKey.refName], let r = try? ImageReference(parsing: name) else { return false }
        return r.name == ref.name
    }

    /// Every image in the store, one row per tag (untagged images once, as <none>).
    public func list() throws -> [ImageSummary] {
        let index = try readIndex()
        var configs: [Digest: ImageConfig] = [:]
        var rows: [ImageSummary] = []
        for e in index.manifests where MediaType.isManifest(e.mediaType) {
            let m = try manifest(e.digest)
            if configs[m.config.digest] == nil { configs[m.config.digest] = try imageConfig(m.config.digest) }
            let config = configs[m.config.digest]
            var repo = "<none>", tag = "<none>"
            if let n = e.annotations?[AnnotationKey.refName], let r = try? ImageReference(parsing: n) {
                let fam = ImageReference(domain: r.domain, path: r.path, tag: nil, digest: nil).familiar
                repo = fam
                tag = r.tag ?? "<none>"
            }
            let digest = (e.annotations?[StoreAnnotation.repoDigests] ?? "").split(separator: ",").first
                .flatMap { $0.split(separator: "@").last.map(String.init) } ?? "<none>"
            rows.append(ImageSummary(repository: repo, tag: tag, digest: digest, id: m.config.digest, manifestDigest: e.digest,
                                     created: config?.created, size: m.layers.reduce(0) { $0 + $1.size }))
        }
        return rows.sorted { ($0.created ?? "", $0.repository, $0.tag) > ($1.created ?? "", $1.repository, $1.tag) }
    }
}

extension ImageStore {
    /// The unpacked layer directories of `image`, top-most first, when every layer is in the
    /// cache already; nil when one must be unpacked first (CNCImage's prepareRootfs does that).
    public func unpackedLayers(_ image: ResolvedImage) -> [String]? {
        let chains = image.chainIDs
        guard chains.count == image.manifest.layers.count else { return nil }
        var dirs: [String] = []
        for chain in chains {
            let dir = paths.layer(chainID: chain)
            guard FileSystem.exists(dir) else { return nil }
            dirs.append(dir)
        }
        return dirs.reversed()
    }
}
