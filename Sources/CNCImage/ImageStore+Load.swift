import CNCCore
import CNCOCI
import CNCSystem
import Foundation

extension ImageStore {
    /// `cnc load`: reads a docker-archive or oci-archive (gzip or not) and adds its images, their
    /// layers unpacked and verified. Returns the loaded images. On failure nothing new remains.
    public func load(from source: any ByteSource, platform: Platform, policy: UnpackPolicy = UnpackPolicy()) throws -> [LoadedImage] {
        let hold = try ingestHold()
        defer { hold.unlock() }
        let staging = try FileStream.createTemporaryDirectory(in: paths.tmp, prefix: "load-")
        defer { try? FileSystem.removeTree(staging) }
        var created: [String] = []
        do {
            // The archive is untrusted like a layer: extract it with the same safe unpacker.
            var p = policy
            p.devices = .drop
            p.preserveOwnership = false
            _ = try LayerUnpacker.unpack(from: source, into: staging, layer: "archive", policy: p)
            let found: [(Descriptor, ImageConfig, Manifest, [ImageReference])]
            if FileSystem.exists(staging + "/manifest.json") {
                found = try loadDocker(staging, &created)
            } else if FileSystem.exists(staging + "/index.json") {
                found = try loadOCI(staging, platform: platform, &created)
            } else {
                throw CNCError(.invalidArgument, "not an image archive: no manifest.json (docker-archive) or index.json (oci-archive)")
            }
            // Unpack every layer before any tag moves, so a hostile layer leaves nothing behind.
            for (_, config, manifest, _) in found {
                let chains = ChainID.chain(config.rootfs.diffIDs, sha256: SHA256Hasher.digest)
                for (i, chain) in chains.enumerated() where !FileSystem.exists(paths.layer(chainID: chain)) {
                    let dir = try ensureLayerUnheld(chainID: chain, diffID: config.rootfs.diffIDs[i], blob: manifest.layers[i], policy: policy)
                    created.append(dir)
                }
            }
            var out: [LoadedImage] = []
            for (desc, _, manifest, names) in found {
                let image = try addImage(manifest: desc, imageID: manifest.config.digest, names: names, action: "load")
                out.append(LoadedImage(image: image, names: names))
            }
            return out
        } catch {
            for p in created.reversed() { try? FileSystem.removeTree(p) }
            throw CNCError.wrap(error, "failed to load images")
        }
    }

    func ensureLayerUnheld(chainID: Digest, diffID: Digest, blob: Descriptor, policy: UnpackPolicy) throws -> String {
        let source = try FileStream.openForReading(paths.blob(blob.digest))
        defer { source.close() }
        return try unpackLayer(from: source, chainID: chainID, expectedDiffID: diffID, layer: blob.digest.description, policy: policy).path
    }

    /// Moves a staged file into the blob store after hashing it; `expected` must match when given.
    func adoptBlob(_ path: String, expected: Digest?, _ created: inout [String]) throws -> (Digest, Int64) {
        let f = try FileStream.openForReading(path)
        var hasher = SHA256Hasher()
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buf.withUnsafeMutableBytes { try f.read(into: $0) }
            if n == 0 { break }
            buf.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        f.close()
        let d = hasher.finalize()
        if let expected, expected != d {
            throw CNCError(.integrity, "digest mismatch for \(FileSystem.baseName(path)): expected \(expected), got \(d)")
        }
        let dest = paths.blob(d)
        if !FileSystem.exists(dest) {
            try FileSystem.moveItem(path, to: dest)
            created.append(dest)
        }
        return (d, hasher.count)
    }

    private func staged(_ dir: String, _ name: String) throws -> String {
        switch EntryApplier.components(name) {
        case .success(let c) where !c.isEmpty: return dir + "/" + c.joined(separator: "/")
        default: throw CNCError(.invalidArgument, "invalid path \"\(name)\" in archive manifest")
        }
    }

    private func loadDocker(_ dir: String, _ created: inout [String]) throws -> [(Descriptor, ImageConfig, Manifest, [ImageReference])] {
        let entries: [DockerArchiveEntry]
        do { entries = try JSONDecoder().decode([DockerArchiveEntry].self, from: Data(try FileSystem.readBytes(dir + "/manifest.json"))) } catch {
            throw CNCError.wrap(error, "invalid manifest.json in docker archive")
        }
        var out: [(Descriptor, ImageConfig, Manifest, [ImageReference])] = []
        for e in entries {
            let configBytes = try FileSystem.readBytes(try staged(dir, e.config))
            let config: ImageConfig
            do { config = try JSONDecoder().decode(ImageConfig.self, from: Data(configBytes)) } catch {
                throw CNCError.wrap(error, "invalid image config \(e.config)")
            }
            guard config.rootfs.diffIDs.count == e.layers.count else {
                throw CNCError(.integrity, "\(e.config) lists \(config.rootfs.diffIDs.count) diff IDs for \(e.layers.count) layers")
            }
            let configDesc = try putTracked(configBytes, MediaType.ociConfig, &created)
            var layers: [Descriptor] = []
            for (i, l) in e.layers.enumerated() {
                let path = try staged(dir, l)
                let diffID = config.rootfs.diffIDs[i]
                if FileSystem.exists(paths.blob(diffID)) {
                    layers.append(Descriptor(mediaType: MediaType.ociLayer, digest: diffID, size: FileSystem.fileSize(paths.blob(diffID)) ?? 0))
                    continue
                }
                let (d, size) = try adoptBlob(path, expected: diffID, &created)
                layers.append(Descriptor(mediaType: MediaType.ociLayer, digest: d, size: size))
            }
            let manifest = Manifest(config: configDesc, layers: layers)
            let manifestDesc = try putTracked(try CanonicalJSON.encode(manifest), MediaType.ociManifest, &created)
            let names = try (e.repoTags ?? []).map { try ImageReference(parsing: $0) }
            out.append((manifestDesc, config, manifest, names))
        }
        return out
    }

    private func loadOCI(_ dir: String, platform: Platform, _ created: inout [String]) throws -> [(Descriptor, ImageConfig, Manifest, [ImageReference])] {
        let index: Index
        do { index = try JSONDecoder().decode(Index.self, from: Data(try FileSystem.readBytes(dir + "/index.json"))) } catch {
            throw CNCError.wrap(error, "invalid index.json in oci archive")
        }
        var adopted = Set<Digest>()
        func adopt(_ d: Digest) throws {
            guard !adopted.contains(d) else { return }
            adopted.insert(d)
            if hasBlob(d) { return }
            let p = dir + "/blobs/sha256/" + d.encoded
            guard FileSystem.exists(p) else { throw CNCError(.integrity, "oci archive lacks blob \(d)") }
            _ = try adoptBlob(p, expected: d, &created)
        }
        var out: [(Descriptor, ImageConfig, Manifest, [ImageReference])] = []
        for entry in index.manifests {
            var desc = entry
            try adopt(desc.digest)
            if MediaType.isIndex(desc.mediaType) {
                let nested = try decodeBlob(Index.self, desc.digest)
                guard let pick = nested.manifest(for: platform) else {
                    throw CNCError(.notFound, "no image for platform \(platform) in archive index \(desc.digest)")
                }
                try adopt(pick.digest)
                desc = pick
            }
            guard MediaType.isManifest(desc.mediaType) else { continue }
            let manifest = try self.manifest(desc.digest)
            try adopt(manifest.config.digest)
            for l in manifest.layers { try adopt(l.digest) }
            let config = try imageConfig(manifest.config.digest)
            var names: [ImageReference] = []
            let name = entry.annotations?[AnnotationKey.imageName] ?? entry.annotations?[AnnotationKey.refName]
            if let name, name.contains("/") || name.contains(":"), let r = try? ImageReference(parsing: name) { names.append(r) }
            out.append((Descriptor(mediaType: desc.mediaType, digest: desc.digest, size: desc.size), config, manifest, names))
        }
        return out
    }
}

/// One image of a loaded archive and the tags the archive gave it (what `load` reports; the
/// image may have had other tags in the store already).
public struct LoadedImage: Sendable {
    public var image: ResolvedImage
    public var names: [ImageReference]
}
