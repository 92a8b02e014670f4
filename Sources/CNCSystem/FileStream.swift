import CNCCore
import CShim
import Glibc

/// A plain file opened for streaming reads or writes, with errors that name the path.
public final class FileStream: @unchecked Sendable {
    // @unchecked: one owner at a time; the fd is immutable until close().
    public private(set) var fd: Int32
    public let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    public static func openForReading(_ path: String) throws -> FileStream {
        FileStream(fd: try retryingEINTR("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }, path: path)
    }

    /// Standard input as a stream (not closed by close()).
    public static func standardInput() -> FileStream { FileStream(fd: 0, path: "<stdin>") }
    public static func standardOutput() -> FileStream { FileStream(fd: 1, path: "<stdout>") }

    /// Creates (truncating) `path` for writing.
    public static func create(_ path: String, mode: mode_t = 0o644) throws -> FileStream {
        FileStream(fd: try retryingEINTR("open", path: path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }, path: path)
    }

    /// Opens `path` for appending (creating it), e.g. to resume a download.
    public static func openForAppending(_ path: String) throws -> FileStream {
        FileStream(fd: try retryingEINTR("open", path: path) { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }, path: path)
    }

    /// A new uniquely named file in `directory` (mkostemp), for content that is renamed into place later.
    public static func createTemporary(in directory: String, prefix: String) throws -> FileStream {
        var template = Array("\(directory)/\(prefix)XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { cshim_mkstemp_cloexec($0.baseAddress!) }
        guard fd >= 0 else { throw SystemError.make("mkostemp", errno: errno, path: "\(directory)/\(prefix)XXXXXX") }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return FileStream(fd: fd, path: path)
    }

    /// A new uniquely named directory in `directory` (mkdtemp).
    public static func createTemporaryDirectory(in directory: String, prefix: String) throws -> String {
        var template = Array("\(directory)/\(prefix)XXXXXX".utf8CString)
        let ok = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard ok else { throw SystemError.make("mkdtemp", errno: errno, path: "\(directory)/\(prefix)XXXXXX") }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try retryingEINTR("read", path: path) { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Reads until `buffer` is full or end of file; returns the count.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { break }
            done += n
        }
        return done
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = try retryingEINTR("write", path: path) { Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done) }
            done += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func sync() throws {
        try retryingEINTR("fsync", path: path) { fsync(fd) }
    }

    public func size() throws -> Int64 {
        var st = stat()
        try retryingEINTR("fstat", path: path) { fstat(fd, &st) }
        return Int64(st.st_size)
    }

    public func close() {
        if fd > 2 { Glibc.close(fd) }
        fd = -1
    }

    deinit { if fd > 2 { Glibc.close(fd) } }
}

extension FileStream {
    /// True when the stream is a terminal (isatty).
    public var isTerminal: Bool { isatty(fd) == 1 }
}

extension FileStream {
    /// Everything up to end of file.
    public func readAllBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try buf.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return out }
            out += buf[0..<n]
        }
    }
}
