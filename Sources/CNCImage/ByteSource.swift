import CNCCore
import CNCSystem

/// Something bytes are read from in order: a file, stdin, a download in progress.
public protocol ByteSource: AnyObject, Sendable {
    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension FileStream: ByteSource {}

/// A ByteSource fed by another thread through a ChunkQueue (e.g. a registry download).
final class QueueSource: ByteSource, @unchecked Sendable {
    // @unchecked: read by one consumer thread only.
    let queue: ChunkQueue
    private var current: [UInt8] = []
    private var offset = 0

    init(queue: ChunkQueue) { self.queue = queue }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while offset == current.count {
            guard let next = try queue.take() else { return 0 }
            current = next
            offset = 0
        }
        let n = min(buffer.count, current.count - offset)
        current.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// Hashes everything read through it (the compressed digest of a layer as it is unpacked).
public final class HashingSource: ByteSource, @unchecked Sendable {
    // @unchecked: read by one consumer thread only.
    let inner: any ByteSource
    public private(set) var hasher = SHA256Hasher()

    public init(_ inner: any ByteSource) { self.inner = inner }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try inner.read(into: buffer)
        if n > 0 { hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }
}
