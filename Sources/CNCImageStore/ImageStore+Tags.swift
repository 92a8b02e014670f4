import CNCCore
import CNCOCI
import CNCSystem

extension ImageStore {
    /// Records `manifest` (already stored, with its config) in the index under `names`, moving
    /// tags that pointed elsewhere (the old image stays as <none> unless still tagged) and
    /// recording every move in the tag history. With no names the image is kept untagged.
    @discardableResult
    public func addImage(manifest: Descriptor, imageID: Digest, names: [ImageReference], repoDigest: String? = nil,
                         action: String) throws -> ResolvedImage {
        try updateIndex { index, moves in
            let now = Self.now()
            for name in names {
                let key = name.description
                if let i = index.manifests.firstIndex(where: { $0.annotations?[AnnotationKey.refName] == key }) {
                    let old = index.manifests[i]
                    if old.digest == manifest.digest { continue }
                    index.manifests.remove(at: i)
                    if !index.manifests.contains(where: { $0.digest == old.digest }) {
                        var dangling = old
                        dangling.annotations?[AnnotationKey.refName] = nil
                        index.manifests.append(dangling)
                    }
                    moves.append(TagMove(reference: key, old: old.digest, new: manifest.digest,
                                         oldID: old.annotations?[StoreAnnotation.imageID].flatMap { try? Digest($0) },
                                         newID: imageID, time: now, action: action))
                } else {
                    moves.append(TagMove(reference: key, old: nil, new: manifest.digest, oldID: nil, newID: imageID, time: now, action: action))
                }
                var entry = Descriptor(mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size)
                entry.annotations = [AnnotationKey.refName: key, StoreAnnotation.imageID: imageID.description]
                index.manifests.append(entry)
            }
            let tagged = index.manifests.contains { $0.digest == manifest.digest && $0.annotations?[AnnotationKey.refName] != nil }
            if tagged {
                index.manifests.removeAll { $0.digest == manifest.digest && $0.annotations?[AnnotationKey.refName] == nil }
            } else if !index.manifests.contains(where: { $0.digest == manifest.digest }) {
                var entry = Descriptor(mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size)
                entry.annotations = [StoreAnnotation.imageID: imageID.description]
                index.manifests.append(entry)
            }
            if let repoDigest {
                for i in index.manifests.indices where index.manifests[i].digest == manifest.digest {
                    var list = (index.manifests[i].annotations?[StoreAnnotation.repoDigests] ?? "").split(separator: ",").map(String.init)
                    if !list.contains(repoDigest) { list.append(repoDigest) }
                    index.manifests[i].annotations?[StoreAnnotation.repoDigests] = list.joined(separator: ",")
                }
            }
            return try load(manifest.digest, index: index)
        }
    }

    /// `cnc tag SOURCE TARGET`: points TARGET at the image SOURCE names.
    @discardableResult
    public func tag(_ source: String, as target: ImageReference) throws -> ResolvedImage {
        guard target.digest == nil else {
            throw CNCError(.invalidArgument, "refusing to create a tag with a digest reference: \(target.familiar)")
        }
        let image = try resolve(source)
        let desc = Descriptor(mediaType: image.manifest.mediaType ?? MediaType.ociManifest, digest: image.manifestDigest,
                              size: Int64(try readBlob(image.manifestDigest).count))
        return try addImage(manifest: desc, imageID: image.id, names: [target], action: "tag")
    }

    /// The recorded moves of `reference` (all references when nil), oldest first.
    public func tagHistory(_ reference: ImageReference? = nil) throws -> [TagMove] {
        let all = try FileLock.withLock(paths.indexLock) { try readTagHistoryUnlocked() }.moves
        guard let reference else { return all }
        return all.filter { $0.reference == reference.description }
    }
}

extension ImageStore {
    /// The manifest digest `reference` points at now, nil when the tag does not exist
    /// (what rollback compares; see CNCEngine's ImageTagger).
    public func currentDigest(of reference: String) throws -> Digest? {
        let ref = try ImageReference(parsing: reference)
        return try readIndex().manifests.first { $0.annotations?[AnnotationKey.refName] == ref.description }?.digest
    }

    /// Points `reference` at the image with manifest digest (or image ID) `digest`, recorded in
    /// the tag history as "rollback". The image must still be in the store.
    public func retag(_ reference: String, to digest: Digest) throws {
        let ref = try ImageReference(parsing: reference)
        let index = try readIndex()
        guard let entry = index.manifests.first(where: {
            $0.digest == digest || $0.annotations?[StoreAnnotation.imageID] == digest.description
        }) else {
            throw CNCError(.notFound, "No such image: \(digest) (needed to re-point \(ref.familiar))")
        }
        let image = try load(entry.digest, index: index)
        let desc = Descriptor(mediaType: entry.mediaType, digest: entry.digest, size: entry.size)
        try addImage(manifest: desc, imageID: image.id, names: [ref], action: "rollback")
    }
}
