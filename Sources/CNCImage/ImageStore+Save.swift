import CNCCore
import CNCOCI
import CNCSystem
import Foundation

/// Archive formats of `cnc save` / `cnc load`.
public enum ArchiveFormat: String, Sendable, CaseIterable {
    /// What `docker save` writes: manifest.json, <config>.json, <diffid>/layer.tar (uncompressed).
    case dockerArchive = "docker-archive"
    /// A tar of an OCI image layout (oci-layout, index.json, blobs/sha256/...).
    case ociArchive = "oci-archive"
}

extension ImageStore {
    /// Writes `references` (names or IDs) as one archive to `output`.
    public func save(_ references: [String], format: ArchiveFormat, to output: FileStream) throws {
        var images: [(ResolvedImage, [ImageReference])] = []
        for r in references {
            let img = try resolve(r)
            // A name saves that tag; an ID saves every tag of the image (as docker does).
            let byName = (try? ImageReference(parsing: r)).flatMap { ref in img.names.first { $0 == ref } }
            images.append((img, byName.map { [$0] } ?? img.names))
        }
        try save(images, format: format, to: output)
    }

    /// Writes images with the names the archive gives them (`cnc build -o`: the build's tags,
    /// which the store itself does not get).
    public func save(_ images: [(ResolvedImage, [ImageReference])], format: ArchiveFormat, to output: FileStream) throws {
        let tar = try TarWriter(to: output)
        switch format {
        case .dockerArchive: try saveDocker(images, tar)
        case .ociArchive: try saveOCI(images, tar)
        }
        try tar.finish()
    }

    private func saveDocker(_ images: [(ResolvedImage, [ImageReference])], _ tar: TarWriter) throws {
        var entries: [DockerArchiveEntry] = []
        var written = Set<String>()
        var repositories: [String: [String: String]] = [:]
        for (img, names) in images {
            let configName = "\(img.id.encoded).json"
            if written.insert(configName).inserted {
                try tar.addFile(configName, from: paths.blob(img.id))
            }
            var layers: [String] = []
            for (i, layer) in img.manifest.layers.enumerated() {
                let diffID = img.diffIDs[i]
                let name = "\(diffID.encoded)/layer.tar"
                layers.append(name)
                guard written.insert(name).inserted else { continue }
                try tar.addDirectory(diffID.encoded)
                try addUncompressedLayer(layer, diffID: diffID, as: name, to: tar)
            }
            entries.append(DockerArchiveEntry(config: configName, repoTags: names.map(\.familiar), layers: layers))
            for n in names {
                let repo = ImageReference(domain: n.domain, path: n.path, tag: nil, digest: nil).familiar
                repositories[repo, default: [:]][n.tag ?? "latest"] = img.diffIDs.last?.encoded ?? ""
            }
        }
        try tar.addFile("manifest.json", bytes: try CanonicalJSON.encode(entries))
        try tar.addFile("repositories", bytes: try CanonicalJSON.encode(repositories))
    }

    /// Docker archives hold uncompressed layers: copy the blob, or decompress it through a temp file
    /// (a tar header needs the size first), checking the result against the diff ID.
    private func addUncompressedLayer(_ layer: Descriptor, diffID: Digest, as name: String, to tar: TarWriter) throws {
        if layer.digest == diffID {
            try tar.addFile(name, from: paths.blob(layer.digest))
            return
        }
        let tmp = try FileStream.createTemporary(in: paths.tmp, prefix: "save-")
        defer { tmp.close(); try? FileSystem.remove(tmp.path) }
        var hasher = SHA256Hasher()
        let src = try FileStream.openForReading(paths.blob(layer.digest))
        defer { src.close() }
        try LayerUnpacker.forEachDecompressedChunk(src, what: "layer \(layer.digest)") { chunk in
            hasher.update(chunk)
            try tmp.write(chunk)
        }
        guard hasher.finalize() == diffID else {
            throw CNCError(.integrity, "layer \(layer.digest) does not decompress to its diff ID \(diffID)")
        }
        try tar.addFile(name, from: tmp.path)
    }

    private func saveOCI(_ images: [(ResolvedImage, [ImageReference])], _ tar: TarWriter) throws {
        var index = Index()
        var blobs: [Digest] = []
        for (img, names) in images {
            let size = FileSystem.fileSize(paths.blob(img.manifestDigest)) ?? 0
            for d in [img.manifestDigest, img.id] + img.manifest.layers.map(\.digest) where !blobs.contains(d) { blobs.append(d) }
            let base = Descriptor(mediaType: img.manifest.mediaType ?? MediaType.ociManifest, digest: img.manifestDigest, size: size)
            if names.isEmpty { index.manifests.append(base) }
            for n in names {
                var d = base
                // As containerd's and BuildKit's exporters: the OCI ref name is the tag alone
                // (`skopeo copy oci-archive:FILE:TAG`), the containerd annotation the full name.
                d.annotations = [AnnotationKey.refName: n.tag ?? n.description, AnnotationKey.imageName: n.description]
                index.manifests.append(d)
            }
        }
        try tar.addFile("oci-layout", bytes: try CanonicalJSON.encode(ImageLayoutMarker()))
        try tar.addFile("index.json", bytes: try CanonicalJSON.encode(index))
        try tar.addDirectory("blobs")
        try tar.addDirectory("blobs/sha256")
        for d in blobs { try tar.addFile("blobs/sha256/\(d.encoded)", from: paths.blob(d)) }
    }
}
