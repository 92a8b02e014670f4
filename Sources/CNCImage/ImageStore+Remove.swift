import CNCCore
import CNCOCI
import CNCSystem

extension ImageStore {
    /// `cnc rmi`: untags `text`, and deletes the image when no tag is left (then GC).
    /// Returns Docker's report lines ("Untagged: ...", "Deleted: ...").
    public func remove(_ text: String, force: Bool) throws -> [String] {
        let inUse = try self.inUse()
        let lines: [String] = try updateIndex { index, moves in
            guard let digest = try findManifest(text, in: index) else { throw CNCError(.notFound, "No such image: \(text)") }
            let image = try load(digest, index: index)
            let now = Self.now()
            let byName = (try? ImageReference(parsing: text)).flatMap { r in image.names.first { $0 == r } }
            let used = inUse.imageDigests.contains(image.id) || inUse.imageDigests.contains(image.manifestDigest)
            func untag(_ name: ImageReference) {
                index.manifests.removeAll { $0.annotations?[AnnotationKey.refName] == name.description }
                moves.append(TagMove(reference: name.description, old: digest, new: nil, oldID: image.id, newID: nil, time: now, action: "rmi"))
            }
            if let byName, image.names.count > 1 {
                untag(byName)
                return ["Untagged: \(byName.familiar)"]
            }
            if byName == nil, image.names.count > 1, !force {
                throw CNCError(.conflict, "unable to delete \(image.id.encoded.prefix(12)) (must be forced) - image is referenced in multiple repositories")
            }
            if used {
                guard force else {
                    throw CNCError(.conflict, "unable to remove \(text) (must force) - image \(image.id.encoded.prefix(12)) is used by a container")
                }
                // Forced on an image in use: untag it, keep it (dangling) for the container.
                var out: [String] = []
                for n in image.names { untag(n); out.append("Untagged: \(n.familiar)") }
                if !index.manifests.contains(where: { $0.digest == digest }) {
                    var entry = Descriptor(mediaType: image.manifest.mediaType ?? MediaType.ociManifest, digest: digest,
                                           size: Int64(try readBlob(digest).count))
                    entry.annotations = [StoreAnnotation.imageID: image.id.description]
                    index.manifests.append(entry)
                }
                return out
            }
            var out: [String] = []
            for n in image.names { untag(n); out.append("Untagged: \(n.familiar)") }
            for r in image.repoDigests { out.append("Untagged: \(r)") }
            index.manifests.removeAll { $0.digest == digest }
            out.append("Deleted: \(image.id)")
            return out
        }
        if lines.contains(where: { $0.hasPrefix("Deleted:") }) { _ = try garbageCollect() }
        return lines
    }
}
