import CNCCore
import CNCSystem

/// Writes one blob into the store: a temp file, hashed as it is written, renamed into
/// blobs/sha256/<hex> only when digest and size match. A blob that fails verification is
/// never visible; abort() (or deinit) removes the temp file.
public final class BlobWriter: @unchecked Sendable {
    // @unchecked: one writer thread at a time (the pipeline stage that owns it).
    private let store: ImageStore
    private var file: FileStream?
    public private(set) var hasher = SHA256Hasher()

    init(store: ImageStore) throws {
        self.store = store
        file = try FileStream.createTemporary(in: store.paths.tmp, prefix: "blob-")
    }

    public var bytesWritten: Int64 { hasher.count }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard let file else { throw CNCError(.internal, "blob writer already closed") }
        hasher.update(buffer)
        try file.write(buffer)
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Verifies and publishes the blob; returns its digest and size. `expected` digest/size, when
    /// given, must match (else a `.integrity` error and nothing is kept).
    @discardableResult
    public func commit(expected: Digest? = nil, size: Int64? = nil) throws -> (digest: Digest, size: Int64) {
        guard let file else { throw CNCError(.internal, "blob writer already closed") }
        let digest = hasher.finalize()
        let count = hasher.count
        defer { self.file = nil }
        if let expected, expected != digest {
            abortFile(file)
            throw CNCError(.integrity, "digest mismatch: expected \(expected), got \(digest)", context: ["size": "\(count)"])
        }
        if let size, size != count {
            abortFile(file)
            throw CNCError(.integrity, "size mismatch for \(digest): expected \(size) bytes, got \(count)")
        }
        do {
            try file.sync()
            file.close()
            let dest = store.paths.blob(digest)
            if FileSystem.exists(dest) {
                try FileSystem.remove(file.path)
            } else {
                try FileSystem.moveItem(file.path, to: dest)
            }
        } catch {
            abortFile(file)
            throw CNCError.wrap(error, "failed to store blob \(digest)")
        }
        return (digest, count)
    }

    public func abort() {
        if let file { abortFile(file) }
        file = nil
    }

    private func abortFile(_ f: FileStream) {
        f.close()
        try? FileSystem.remove(f.path)
    }

    deinit { abort() }
}
