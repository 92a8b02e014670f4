import CArchive
import CNCCore
import CNCSystem

/// Writes a tar stream (PAX, optionally gzip) to a file or stdout through libarchive.
public final class TarWriter: @unchecked Sendable {
    // @unchecked: used by one thread.
    let a: OpaquePointer
    let output: FileStream
    private var closed = false
    /// `SOURCE_DATE_EPOCH` (seconds): entries newer than it get it as their mtime (BuildKit's
    /// rewrite-timestamp), so a rebuild writes the same bytes.
    public var mtimeClamp: Int64?

    public enum Compression: Sendable { case none, gzip }

    public init(to output: FileStream, compression: Compression = .none) throws {
        guard let a = archive_write_new() else { throw CNCError(.internal, "archive_write_new failed") }
        self.a = a
        self.output = output
        archive_write_set_format_pax_restricted(a)
        if compression == .gzip { archive_write_add_filter_gzip(a) }
        archive_write_set_bytes_in_last_block(a, 1)
        guard archive_write_open_fd(a, output.fd) == ARCHIVE_OK else { throw error("open") }
    }

    func error(_ what: String) -> CNCError {
        let text = archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
        return CNCError(.io, "failed to write tar \(output.path) (\(what))", cause: text)
    }

    private func header(_ path: String, type: UInt32, mode: UInt32, size: Int64, link: String? = nil, mtime: Int = 0) throws {
        guard let e = archive_entry_new() else { throw CNCError(.internal, "archive_entry_new failed") }
        defer { archive_entry_free(e) }
        archive_entry_set_pathname(e, path)
        archive_entry_set_filetype(e, type)
        archive_entry_set_perm(e, mode_t(mode))
        archive_entry_set_size(e, size)
        archive_entry_set_mtime(e, time_t(mtime), 0)
        if let link { archive_entry_set_symlink(e, link) }
        guard archive_write_header(a, e) == ARCHIVE_OK else { throw error("header \(path)") }
    }

    /// One entry with its owner and time (a build's COPY): `type` is the S_IFMT bits; a regular
    /// file's content follows through `writeContent`.
    public func addEntry(_ path: String, type: UInt32, mode: UInt32, uid: UInt32, gid: UInt32, mtime: Int64, size: Int64 = 0,
                         link: String? = nil, writeContent: (((UnsafeRawBufferPointer) throws -> Void) throws -> Void)? = nil) throws {
        guard let e = archive_entry_new() else { throw CNCError(.internal, "archive_entry_new failed") }
        defer { archive_entry_free(e) }
        archive_entry_set_pathname(e, path)
        archive_entry_set_filetype(e, type)
        archive_entry_set_perm(e, mode_t(mode))
        archive_entry_set_size(e, type == 0o100000 ? size : 0)
        archive_entry_set_uid(e, Int64(uid))
        archive_entry_set_gid(e, Int64(gid))
        if let clamp = mtimeClamp, mtime >= clamp * 1_000_000_000 {
            archive_entry_set_mtime(e, time_t(clamp), 0)
        } else {
            archive_entry_set_mtime(e, time_t(mtime / 1_000_000_000), Int(mtime % 1_000_000_000))
        }
        if let link { archive_entry_set_symlink(e, link) }
        guard archive_write_header(a, e) == ARCHIVE_OK else { throw error("header \(path)") }
        if type == 0o100000, size > 0, let writeContent {
            var written: Int64 = 0
            try writeContent { buf in
                written += Int64(buf.count)
                guard written <= size else { throw CNCError(.io, "failed to copy \(path): the file grew while it was read") }
                try self.writeData(buf, path)
            }
            guard written == size else { throw CNCError(.io, "failed to copy \(path): the file changed while it was read") }
        }
    }

    public func addDirectory(_ path: String, mode: UInt32 = 0o755) throws {
        try header(path, type: 0o040000, mode: mode, size: 0)
    }

    public func addSymlink(_ path: String, target: String) throws {
        try header(path, type: 0o120000, mode: 0o777, size: 0, link: target)
    }

    public func addFile(_ path: String, bytes: [UInt8], mode: UInt32 = 0o644) throws {
        try header(path, type: 0o100000, mode: mode, size: Int64(bytes.count))
        try bytes.withUnsafeBytes { try writeData($0, path) }
    }

    /// Adds a file whose content is read from `source` (of exactly `size` bytes).
    public func addFile(_ path: String, from source: String, mode: UInt32 = 0o644) throws {
        let f = try FileStream.openForReading(source)
        defer { f.close() }
        let size = try f.size()
        try header(path, type: 0o100000, mode: mode, size: size)
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var done: Int64 = 0
        while done < size {
            let n = try buf.withUnsafeMutableBytes { try f.read(into: $0) }
            if n == 0 { throw CNCError(.io, "failed to read \(source): file shrank while writing the tar") }
            try buf.withUnsafeBytes { try writeData(UnsafeRawBufferPointer(rebasing: $0[0..<n]), path) }
            done += Int64(n)
        }
    }

    /// Adds a file from a stream of chunks with a known total size.
    public func addFile(_ path: String, size: Int64, mode: UInt32 = 0o644, chunks: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try header(path, type: 0o100000, mode: mode, size: size)
        try chunks { try writeData($0, path) }
    }

    func writeData(_ buf: UnsafeRawBufferPointer, _ path: String) throws {
        var off = 0
        while off < buf.count {
            let n = archive_write_data(a, buf.baseAddress! + off, buf.count - off)
            if n <= 0 { throw error("data \(path)") }
            off += n
        }
    }

    public func finish() throws {
        guard !closed else { return }
        closed = true
        let r = archive_write_close(a)
        archive_write_free(a)
        if r != ARCHIVE_OK { throw CNCError(.io, "failed to finish tar \(output.path)") }
    }

    deinit {
        if !closed { archive_write_free(a) }
    }
}
