import CNCCore
import CNCOCI
import CNCSystem

/// What an ingest added to the store, so a failed pull can take it back.
public struct IngestRecord: Sendable {
    public var paths: [String] = []
    public init() {}
}

extension ImageStore {
    /// Runs `body` holding the shared ingest lock, so GC waits until the blobs it writes are indexed.
    public func withIngestHold<T>(_ body: () throws -> T) throws -> T {
        let hold = try ingestHold()
        defer { hold.unlock() }
        return try body()
    }

    /// Stores a layer blob that arrives as a stream and unpacks it in the same pass: `produce`
    /// calls its argument with consecutive bytes (e.g. from a download). The blob is verified
    /// against `blob.digest`/`blob.size` before the unpacked layer becomes visible, and the
    /// unpacked content against `diffID`. Three threads overlap: the producer (hash + write the
    /// blob), decompression, and tar extraction (hash the diff ID + write files).
    public func ingestLayer(_ blob: Descriptor, diffID: Digest, chainID: Digest, policy: UnpackPolicy = UnpackPolicy(),
                            record: inout IngestRecord,
                            produce: (_ consume: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let writer = try blobWriter()
        let queue = ChunkQueue(capacity: 32)
        let blobExisted = hasBlob(blob.digest)
        let layerExisted = FileSystem.exists(paths.layer(chainID: chainID))
        let store = self
        let worker = WorkerThread<String>(name: "cnc-unpack") {
            do {
                return try store.unpackLayer(from: QueueSource(queue: queue), chainID: chainID, expectedDiffID: diffID,
                                             layer: blob.digest.description, policy: policy).path
            } catch {
                queue.fail(error)  // unblock the producer: it sees the refusal at its next put
                throw error
            }
        }
        final class Pending: @unchecked Sendable { var bytes: [UInt8] = [] }
        let pending = Pending()
        pending.bytes.reserveCapacity(LayerUnpacker.chunkSize)
        do {
            try produce { buf in
                try writer.write(buf)
                pending.bytes.append(contentsOf: buf)
                if pending.bytes.count >= LayerUnpacker.chunkSize {
                    try queue.put(pending.bytes)
                    pending.bytes = []
                    pending.bytes.reserveCapacity(LayerUnpacker.chunkSize)
                }
            }
            if !pending.bytes.isEmpty { try queue.put(pending.bytes) }
            let got = writer.hasher.finalize()
            if got != blob.digest || writer.bytesWritten != blob.size {
                throw CNCError(.integrity, "digest mismatch for layer \(blob.digest): received \(writer.bytesWritten) bytes with digest \(got) (expected \(blob.size) bytes)")
            }
            queue.finish()
            _ = try worker.wait()
            try writer.commit(expected: blob.digest, size: blob.size)
        } catch {
            queue.fail(error)
            _ = try? worker.wait()
            writer.abort()
            throw error
        }
        if !blobExisted { record.paths.append(paths.blob(blob.digest)) }
        if !layerExisted { record.paths.append(paths.layer(chainID: chainID)) }
    }

    /// Undoes an ingest (after a failed pull): removes what it added, unless an index entry now uses it.
    public func discard(_ record: IngestRecord) {
        for p in record.paths.reversed() { try? FileSystem.removeTree(p) }
    }

    /// Stores a small verified blob (manifest, config) and notes it in `record` when new.
    @discardableResult
    public func putBlob(_ bytes: [UInt8], mediaType: String, expected: Digest?, record: inout IngestRecord) throws -> Descriptor {
        let d = SHA256Hasher.digest(bytes)
        let existed = hasBlob(d)
        let desc = try putBlob(bytes, mediaType: mediaType, expected: expected)
        if !existed { record.paths.append(paths.blob(d)) }
        return desc
    }

    /// True when the layer blob and its unpacked directory are both present.
    public func hasLayer(_ blob: Digest, chainID: Digest) -> Bool {
        hasBlob(blob) && FileSystem.exists(paths.layer(chainID: chainID))
    }
}
