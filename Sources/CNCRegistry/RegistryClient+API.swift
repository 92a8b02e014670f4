import CNCCore
import CNCImage
import CNCOCI
import CNCSystem
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension RegistryClient {
    static func pullScope(_ repo: String) -> String { "repository:\(repo):pull" }
    static func pushScope(_ repo: String) -> String { "repository:\(repo):pull,push" }

    /// A fetched manifest or index: exact bytes, media type, digest.
    public struct FetchedManifest: Sendable {
        public var bytes: [UInt8]
        public var mediaType: String
        public var digest: Digest
    }

    /// GET a manifest by tag or digest, with Accept for OCI and Docker schema2 (manifests and
    /// indexes); verifies the content digest when fetched by digest.
    public func manifest(_ repo: String, reference: String) throws -> FetchedManifest {
        let r = try send("GET", "/v2/\(repo)/manifests/\(reference)",
                         headers: ["Accept": MediaType.acceptedManifests.joined(separator: ", ")], scope: Self.pullScope(repo))
        guard r.status == 200 else {
            if r.status == 404 {
                throw CNCError(.notFound, "manifest for \(host)/\(repo):\(reference) not found: manifest unknown", context: ["registry": host])
            }
            throw failure("fetch manifest \(repo):\(reference)", r)
        }
        let digest = SHA256Hasher.digest(r.body)
        if reference.hasPrefix("sha256:"), digest.description != reference {
            throw CNCError(.integrity, "digest mismatch for manifest \(repo)@\(reference): the registry sent content with digest \(digest)")
        }
        var mediaType = (r.header("Content-Type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if let probe = try? JSONDecoder().decode(Versioned.self, from: Data(r.body)) {
            if let t = probe.mediaType { mediaType = t }
            else if !MediaType.isManifest(mediaType) && !MediaType.isIndex(mediaType) {
                mediaType = probe.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest
            }
        }
        return FetchedManifest(bytes: r.body, mediaType: mediaType, digest: digest)
    }

    /// PUT a manifest under `reference` (tag or digest) with its media type; returns its digest.
    @discardableResult
    public func putManifest(_ repo: String, reference: String, bytes: [UInt8], mediaType: String) throws -> Digest {
        let r = try send("PUT", "/v2/\(repo)/manifests/\(reference)", headers: ["Content-Type": mediaType],
                         body: .bytes(bytes), scope: Self.pushScope(repo))
        guard r.status == 201 || r.status == 200 else { throw failure("push manifest \(repo):\(reference)", r) }
        return SHA256Hasher.digest(bytes)
    }

    /// HEAD a blob: its size when the registry has it, nil otherwise.
    public func blobSize(_ repo: String, _ digest: Digest) throws -> Int64? {
        let r = try send("HEAD", "/v2/\(repo)/blobs/\(digest)", scope: Self.pullScope(repo))
        if r.status == 404 { return nil }
        guard r.status == 200 else { throw failure("check blob \(digest) in \(repo)", r) }
        return r.header("Content-Length").flatMap { Int64($0) } ?? 0
    }

    /// GET a blob into `sink`, resuming with a Range request after a broken connection so that
    /// `sink` sees every byte exactly once, in order. Returns the number of bytes.
    @discardableResult
    public func fetchBlob(_ repo: String, _ digest: Digest, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        // `delivered`: bytes given to the sink; `position`: offset of the current response's next byte.
        final class Progress: @unchecked Sendable { var delivered: Int64 = 0; var position: Int64 = 0; var fresh = true }
        let p = Progress()
        let r = try send("GET", "/v2/\(repo)/blobs/\(digest)", scope: Self.pullScope(repo), sink: { response, data in
            if p.fresh {
                p.fresh = false
                // 206 continues where we were; a server that ignored Range (200) starts again at 0.
                p.position = response.statusCode == 206 ? p.delivered : 0
            }
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var buf = raw
                if p.position < p.delivered {
                    let drop = Int(min(Int64(buf.count), p.delivered - p.position))
                    buf = UnsafeRawBufferPointer(rebasing: buf[drop...])
                    p.position += Int64(drop)
                }
                if buf.count > 0 { try sink(buf) }
                p.delivered += Int64(buf.count)
                p.position += Int64(buf.count)
            }
        }, prepareRetry: {
            p.fresh = true
            return p.delivered > 0 ? ["Range": "bytes=\(p.delivered)-"] : [:]
        })
        guard r.status == 200 || r.status == 206 else {
            if r.status == 404 { throw CNCError(.notFound, "blob \(digest) not found in \(host)/\(repo)") }
            throw failure("fetch blob \(digest)", r)
        }
        return p.delivered
    }

    /// Uploads the file at `path` as blob `digest` unless the registry has it; tries a cross-repo
    /// mount from `mountFrom` first. Returns how it got there.
    public enum UploadOutcome: String, Sendable { case existed, mounted, uploaded }

    @discardableResult
    public func uploadBlob(_ repo: String, digest: Digest, size: Int64, path: String, mountFrom: String? = nil) throws -> UploadOutcome {
        if try blobSize(repo, digest) != nil { return .existed }
        var location: String
        if let from = mountFrom, from != repo {
            let r = try send("POST", "/v2/\(repo)/blobs/uploads/?mount=\(digest)&from=\(from)", scope: "\(Self.pushScope(repo)) repository:\(from):pull")
            if r.status == 201 { return .mounted }
            guard r.status == 202, let loc = r.header("Location") else { throw failure("start upload of \(digest)", r) }
            location = loc
        } else {
            let r = try send("POST", "/v2/\(repo)/blobs/uploads/", scope: Self.pushScope(repo))
            guard r.status == 202, let loc = r.header("Location") else { throw failure("start upload of \(digest)", r) }
            location = loc
        }
        if options.chunkSize > 0 && size > options.chunkSize {
            location = try uploadChunks(repo, path: path, size: size, location: location)
            let r = try send("PUT", Self.appendQuery(location, "digest=\(digest)"), headers: ["Content-Length": "0"], scope: Self.pushScope(repo))
            guard r.status == 201 else { throw failure("finish upload of \(digest)", r) }
        } else if options.streamedUpload {
            // What skopeo does: the whole blob in one PATCH, then an empty PUT with the digest.
            let p = try send("PATCH", location, headers: ["Content-Type": "application/octet-stream", "Content-Length": "\(size)"],
                             body: .file(path), scope: Self.pushScope(repo))
            guard p.status == 202, let loc = p.header("Location") else { throw failure("upload blob \(digest)", p) }
            let r = try send("PUT", Self.appendQuery(loc, "digest=\(digest)"), headers: ["Content-Length": "0"], scope: Self.pushScope(repo))
            guard r.status == 201 else { throw failure("finish upload of \(digest)", r) }
        } else {
            // Monolithic: the body rides on the PUT that names the digest.
            let r = try send("PUT", Self.appendQuery(location, "digest=\(digest)"),
                             headers: ["Content-Type": "application/octet-stream", "Content-Length": "\(size)"],
                             body: .file(path), scope: Self.pushScope(repo))
            guard r.status == 201 else { throw failure("upload blob \(digest)", r) }
        }
        return .uploaded
    }

    /// PATCH the file in chunks (Content-Range), following each new Location.
    private func uploadChunks(_ repo: String, path: String, size: Int64, location start: String) throws -> String {
        var location = start
        let f = try FileStream.openForReading(path)
        defer { f.close() }
        var offset: Int64 = 0
        var buf = [UInt8](repeating: 0, count: Int(options.chunkSize))
        while offset < size {
            let n = try buf.withUnsafeMutableBytes { try f.readFully(into: $0) }
            guard n > 0 else { throw CNCError(.io, "\(path) is shorter than \(size) bytes") }
            let r = try send("PATCH", location, headers: [
                "Content-Type": "application/octet-stream", "Content-Range": "\(offset)-\(offset + Int64(n) - 1)",
                "Content-Length": "\(n)",
            ], body: .bytes(Array(buf[0..<n])), scope: Self.pushScope(repo))
            guard r.status == 202, let loc = r.header("Location") else { throw failure("upload chunk at \(offset)", r) }
            location = loc
            offset += Int64(n)
        }
        return location
    }

    static func appendQuery(_ location: String, _ q: String) -> String {
        location + (location.contains("?") ? "&" : "?") + q
    }
}
