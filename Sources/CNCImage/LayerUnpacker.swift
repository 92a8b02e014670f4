import CArchive
import CNCCore
import CNCSystem
import Foundation

/// What an unpacker does with device nodes found in a layer.
public enum DevicePolicy: String, Sendable, Codable {
    /// Skip them (reported in `UnpackReport.dropped`). The default: images rarely need them.
    case drop
    /// Create them; only safe when the runtime mounts the rootfs nodev.
    case keep
    /// Refuse the layer.
    case refuse
}

/// Limits and policies for unpacking an untrusted layer.
public struct UnpackPolicy: Sendable {
    /// Most bytes of file content (declared or written) a layer may produce.
    public var maxBytes: Int64 = 256 << 30
    public var maxEntries: Int = 4_000_000
    public var devices: DevicePolicy = .drop
    /// chown entries to their tar uid/gid (needs root).
    public var preserveOwnership: Bool = Host.effectiveUserID == 0
    public init() {}
}

/// What an unpack produced.
public struct UnpackReport: Sendable {
    /// sha256 of the uncompressed tar stream.
    public var diffID: Digest
    public var uncompressedSize: Int64
    public var entries: Int
    /// Entries skipped by policy (device nodes, aufs metadata), as "path (why)".
    public var dropped: [String]
}

/// Unpacks layer tars (plain, gzip or zstd — libarchive detects which) into a directory in the
/// overlay lower format: whiteouts become char 0/0 nodes, opaque dirs get trusted.overlay.opaque.
/// Two threads: one decompresses, one parses the tar, hashes the diff ID and writes files.
public enum LayerUnpacker {
    static let chunkSize = 256 << 10

    /// Unpacks everything `source` yields into `destination` (an existing, empty directory).
    /// `layer` names the layer in errors. `tee` sees every uncompressed byte (e.g. to store the tar).
    /// On error, what was written stays in `destination`: callers unpack into a temp dir they remove.
    public static func unpack(
        from source: any ByteSource, into destination: String, layer: String, policy: UnpackPolicy = UnpackPolicy(),
        tee: (@Sendable (UnsafeRawBufferPointer) throws -> Void)? = nil
    ) throws -> UnpackReport {
        let queue = ChunkQueue(capacity: 32)
        let worker = WorkerThread<Void>(name: "cnc-decompress") {
            do {
                try decompress(source, into: queue, layer: layer)
                queue.finish()
            } catch {
                queue.fail(error)
                throw error
            }
        }
        let report: UnpackReport
        do {
            let root = try RootedDirectory(path: destination)
            var applier = EntryApplier(root: root, layer: layer, policy: policy)
            report = try extract(queue: queue, applier: &applier, layer: layer, tee: tee)
        } catch {
            queue.fail(error)
            _ = try? worker.wait()
            throw error
        }
        try worker.wait()
        return report
    }

    /// Reads the uncompressed stream of `source` (whatever its compression) into `queue`.
    static func decompress(_ source: any ByteSource, into queue: ChunkQueue, layer: String) throws {
        try forEachDecompressedChunk(source, what: "layer \(layer)") { try queue.put($0) }
    }

    /// Calls `body` with consecutive chunks of the decompressed content of `source`.
    public static func forEachDecompressedChunk(_ source: any ByteSource, what: String, _ body: ([UInt8]) throws -> Void) throws {
        guard let a = archive_read_new() else { throw CNCError(.internal, "archive_read_new failed") }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_raw(a)
        archive_read_support_format_empty(a)
        let box = SourceBox(source)
        let status = archive_read_open(a, Unmanaged.passUnretained(box).toOpaque(), nil, sourceReadCallback, nil)
        guard status == ARCHIVE_OK else { throw archiveError(a, box: box, "failed to read \(what)") }
        var entry: OpaquePointer?
        let h = archive_read_next_header(a, &entry)
        if h == ARCHIVE_EOF { return }
        guard h == ARCHIVE_OK || h == ARCHIVE_WARN else { throw archiveError(a, box: box, "failed to read \(what)") }
        while true {
            var chunk = [UInt8](repeating: 0, count: chunkSize)
            var filled = 0
            while filled < chunkSize {
                let n = chunk.withUnsafeMutableBytes { archive_read_data(a, $0.baseAddress! + filled, chunkSize - filled) }
                if n < 0 { throw archiveError(a, box: box, "failed to decompress \(what)") }
                if n == 0 { break }
                filled += n
            }
            if filled == 0 { return }
            if filled < chunkSize { chunk.removeSubrange(filled...) }
            try body(chunk)
            if filled < chunkSize { return }
        }
    }

    static func extract(
        queue: ChunkQueue, applier: inout EntryApplier, layer: String,
        tee: (@Sendable (UnsafeRawBufferPointer) throws -> Void)?
    ) throws -> UnpackReport {
        guard let a = archive_read_new() else { throw CNCError(.internal, "archive_read_new failed") }
        defer { archive_read_free(a) }
        archive_read_support_format_tar(a)
        archive_read_support_format_empty(a)
        let box = TarFeed(queue: queue, tee: tee)
        let status = archive_read_open(a, Unmanaged.passUnretained(box).toOpaque(), nil, tarFeedCallback, nil)
        guard status == ARCHIVE_OK else { throw archiveError(a, box: box, "failed to unpack layer \(layer)") }
        var entry: OpaquePointer?
        var count = 0
        while true {
            let r = archive_read_next_header(a, &entry)
            if r == ARCHIVE_EOF { break }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN, let entry else {
                throw archiveError(a, box: box, "failed to unpack layer \(layer)", after: applier.lastEntry)
            }
            count += 1
            if count > applier.policy.maxEntries {
                throw CNCError(.integrity, "failed to unpack layer \(layer): more than \(applier.policy.maxEntries) entries")
            }
            try applier.apply(entry, archive: a, box: box)
        }
        try applier.finish()
        // The diff ID covers the whole stream, including padding after the end-of-archive blocks.
        try box.drain()
        if let e = box.error { throw e }
        return UnpackReport(diffID: box.hasher.finalize(), uncompressedSize: box.hasher.count,
                            entries: count, dropped: applier.dropped)
    }

    static func archiveError(_ a: OpaquePointer, box: AnyObject, _ message: String, after: String? = nil) -> CNCError {
        if let f = box as? TarFeed, let e = f.error { return CNCError.wrap(e, message) }
        if let s = box as? SourceBox, let e = s.error { return CNCError.wrap(e, message) }
        let text = archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
        var context: [String: String] = [:]
        if let after { context["after entry"] = after }
        return CNCError(.integrity, message, cause: text, context: context)
    }
}

/// Client data for libarchive's read callback over a ByteSource.
final class SourceBox: @unchecked Sendable {
    // @unchecked: used by the one thread that runs the archive reader.
    let source: any ByteSource
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var error: (any Error)?
    init(_ source: any ByteSource) { self.source = source }
}

private func sourceReadCallback(_ a: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    guard let client, let out else { return -1 }
    let box = Unmanaged<SourceBox>.fromOpaque(client).takeUnretainedValue()
    do {
        let n = try box.buffer.withUnsafeMutableBytes { try box.source.read(into: $0) }
        box.buffer.withUnsafeBytes { out.pointee = $0.baseAddress }
        return la_ssize_t(n)
    } catch {
        box.error = error
        return -1
    }
}

/// Client data for the tar reader: takes decompressed chunks, hashes them (diff ID), tees them.
final class TarFeed: @unchecked Sendable {
    // @unchecked: used by the one thread that runs the tar reader.
    let queue: ChunkQueue
    let tee: (@Sendable (UnsafeRawBufferPointer) throws -> Void)?
    var current: [UInt8] = []
    var hasher = SHA256Hasher()
    var error: (any Error)?

    init(queue: ChunkQueue, tee: (@Sendable (UnsafeRawBufferPointer) throws -> Void)?) {
        self.queue = queue
        self.tee = tee
    }

    func next() throws -> Bool {
        guard let c = try queue.take() else { current = []; return false }
        current = c
        try current.withUnsafeBytes { b in
            hasher.update(b)
            try tee?(b)
        }
        return true
    }

    func drain() throws {
        while try next() {}
    }
}

private func tarFeedCallback(_ a: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    guard let client, let out else { return -1 }
    let feed = Unmanaged<TarFeed>.fromOpaque(client).takeUnretainedValue()
    do {
        guard try feed.next() else { return 0 }
        feed.current.withUnsafeBytes { out.pointee = $0.baseAddress }
        return la_ssize_t(feed.current.count)
    } catch {
        feed.error = error
        return -1
    }
}
