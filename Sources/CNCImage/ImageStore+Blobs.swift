import CNCCore
import CNCOCI
import CNCSystem

extension ImageStore {
    /// A new blob writer (call commit or abort).
    public func blobWriter() throws -> BlobWriter { try BlobWriter(store: self) }

    /// Stores `bytes` (verifying `expected` when given) and returns a descriptor for them.
    @discardableResult
    public func putBlob(_ bytes: [UInt8], mediaType: String, expected: Digest? = nil) throws -> Descriptor {
        let d = SHA256Hasher.digest(bytes)
        if let expected, expected != d {
            throw CNCError(.integrity, "digest mismatch: expected \(expected), got \(d)")
        }
        if !hasBlob(d) {
            let w = try blobWriter()
            try w.write(bytes)
            try w.commit(expected: d)
        }
        return Descriptor(mediaType: mediaType, digest: d, size: Int64(bytes.count))
    }
}
