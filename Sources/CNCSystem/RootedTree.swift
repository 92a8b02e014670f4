import CNCCore
import CShim
import Glibc

/// A directory tree read as if it were "/" (a build context): every path is resolved inside it
/// with openat2(RESOLVE_IN_ROOT), so `..` and symlinks (relative or absolute) can never reach a
/// file outside it; entries are listed with fstatat(AT_SYMLINK_NOFOLLOW) on their directory's
/// fd, and files are opened with O_NOFOLLOW. Read-only: nothing here writes.
public final class RootedTree: @unchecked Sendable {
    // @unchecked: fd is immutable after init and only read with *at calls.
    public let path: String
    private let fd: Int32

    public enum Kind: Sendable, Equatable { case directory, regular, symlink, other }

    /// What lstat says about one entry.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        /// Permission bits with setuid/setgid/sticky (no type bits).
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var size: Int64
        public var device: UInt64
        public var inode: UInt64
        public var mtimeNanos: Int64
        public var ctimeNanos: Int64
    }

    public init(path: String) throws {
        self.path = path
        fd = try retryingEINTR("open", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }

    deinit { close(fd) }

    private func openInRoot(_ rel: String, _ flags: Int32) throws -> Int32 {
        let p = rel.isEmpty ? "." : rel
        let resolve = UInt64(CSHIM_RESOLVE_IN_ROOT | CSHIM_RESOLVE_NO_MAGICLINKS)
        return try retryingEINTR("openat2", path: "\(path)/\(rel)") {
            cshim_openat2(fd, p, UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), 0, resolve)
        }
    }

    static func entry(_ name: String, _ st: stat) -> Entry {
        let kind: Kind = switch st.st_mode & S_IFMT {
        case S_IFDIR: .directory
        case S_IFREG: .regular
        case S_IFLNK: .symlink
        default: .other
        }
        return Entry(name: name, kind: kind, mode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid,
                     size: Int64(st.st_size), device: UInt64(st.st_dev), inode: UInt64(st.st_ino),
                     mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                     ctimeNanos: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    /// lstat of `rel` (slash-separated, relative to the root; "" is the root): its directory is
    /// resolved in the root, the last component is not followed. nil when it does not exist.
    public func lstat(_ rel: String) throws -> Entry? {
        let parts = rel.split(separator: "/").map(String.init)
        var st = stat()
        guard let last = parts.last else {
            guard fstat(fd, &st) == 0 else { throw SystemError.make("fstat", errno: errno, path: path) }
            return Self.entry("", st)
        }
        let parent: Int32
        do { parent = try openInRoot(parts.dropLast().joined(separator: "/"), CSHIM_O_PATH | O_DIRECTORY) } catch let e as CNCError {
            if e.errnoCode == ENOENT || e.errnoCode == ENOTDIR { return nil }
            throw e
        }
        defer { close(parent) }
        guard fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw SystemError.make("fstatat", errno: errno, path: "\(path)/\(rel)")
        }
        return Self.entry(last, st)
    }

    /// The entries of directory `rel` (resolved in the root), each lstat'ed, sorted by name.
    public func list(_ rel: String) throws -> [Entry] {
        let dfd = try openInRoot(rel, O_RDONLY | O_DIRECTORY)
        guard let dir = fdopendir(dfd) else {
            let e = errno
            close(dfd)
            throw SystemError.make("fdopendir", errno: e, path: "\(path)/\(rel)")
        }
        defer { closedir(dir) }
        var out: [Entry] = []
        while let d = readdir(dir) {
            let name = withUnsafePointer(to: d.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var st = stat()
            guard fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { continue }  // removed while listing
                throw SystemError.make("fstatat", errno: errno, path: "\(path)/\(rel)/\(name)")
            }
            out.append(Self.entry(name, st))
        }
        return out.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    /// The target of symlink `rel` (its directory resolved in the root).
    public func readLink(_ rel: String) throws -> String {
        let parts = rel.split(separator: "/").map(String.init)
        guard let last = parts.last else { throw SystemError.make("readlinkat", errno: EINVAL, path: path) }
        let parent = try openInRoot(parts.dropLast().joined(separator: "/"), CSHIM_O_PATH | O_DIRECTORY)
        defer { close(parent) }
        var buf = [CChar](repeating: 0, count: 4097)
        let n = readlinkat(parent, last, &buf, 4096)
        guard n >= 0 else { throw SystemError.make("readlinkat", errno: errno, path: "\(path)/\(rel)") }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Streams regular file `rel` (never a symlink: O_NOFOLLOW) in chunks. When `expect` is given,
    /// the opened file must be that inode (a file swapped since it was listed is refused).
    public func read(_ rel: String, expect: Entry? = nil, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let f = try openInRoot(rel, O_RDONLY | O_NOFOLLOW)
        defer { close(f) }
        var st = stat()
        guard fstat(f, &st) == 0 else { throw SystemError.make("fstat", errno: errno, path: "\(path)/\(rel)") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw SystemError.make("read", errno: EINVAL, path: "\(path)/\(rel)") }
        if let expect, UInt64(st.st_ino) != expect.inode || UInt64(st.st_dev) != expect.device {
            throw CNCError(.conflict, "\(path)/\(rel) changed while it was read")
        }
        let size = 1 << 16
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(f, buffer.baseAddress, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError.make("read", errno: errno, path: "\(path)/\(rel)")
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }
}
