import CNCCore
import CShim
import Glibc

/// A directory that untrusted content is written into. Every path is resolved as if the
/// directory were "/" (openat2 RESOLVE_IN_ROOT): `..` and absolute symlinks cannot leave it,
/// and the final component is always handled with *at calls that do not follow it.
public final class RootedDirectory: @unchecked Sendable {
    // @unchecked: fd is immutable after init; the parent cache is used from one thread at a time.
    public let path: String
    public let fd: Int32
    // The last parent handed out. Invalidation forgets the key but keeps the fd open until the
    // next parent() call, so a caller's fd stays valid while it replaces an entry in it.
    private var cachedParent: (key: String?, fd: Int32)?

    /// What is at a name, without following it.
    public enum Kind: Sendable, Equatable { case missing, directory, regular, symlink, other }

    public init(path: String) throws {
        self.path = path
        fd = try retryingEINTR("open", path: path) { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
    }

    deinit {
        if let c = cachedParent { close(c.fd) }
        close(fd)
    }

    /// Forgets the cached parent directory (after anything was removed or replaced).
    public func invalidate() {
        if let c = cachedParent { cachedParent = (nil, c.fd) }
    }

    /// A directory fd for `components` (relative to the root), resolved in the root; missing
    /// directories are created with `mode` when `create` is true. The fd stays owned by this object.
    public func parent(_ components: ArraySlice<String>, create: Bool) throws -> Int32 {
        let key = components.joined(separator: "/")
        if let c = cachedParent, c.key == key { return c.fd }
        let dfd: Int32
        if components.isEmpty {
            dfd = try retryingEINTR("dup", path: path) { dup(fd) }
        } else if let opened = try? openDir(key) {
            dfd = opened
        } else {
            guard create else { throw SystemError.make("openat2", errno: ENOENT, path: "\(path)/\(key)") }
            var cur = try retryingEINTR("dup", path: path) { dup(fd) }
            for (i, comp) in components.enumerated() {
                let sub = components.prefix(i + 1).joined(separator: "/")
                if mkdirat(cur, comp, 0o755) != 0, errno != EEXIST {
                    let e = errno
                    close(cur)
                    throw SystemError.make("mkdirat", errno: e, path: "\(path)/\(sub)")
                }
                close(cur)
                cur = try openDir(sub)
            }
            dfd = cur
        }
        if let c = cachedParent { close(c.fd) }
        cachedParent = (key, dfd)
        return dfd
    }

    private func openDir(_ rel: String) throws -> Int32 {
        let flags = UInt64(CSHIM_O_PATH | O_DIRECTORY | O_CLOEXEC)
        let resolve = UInt64(CSHIM_RESOLVE_IN_ROOT | CSHIM_RESOLVE_NO_MAGICLINKS)
        return try retryingEINTR("openat2", path: "\(path)/\(rel)") { cshim_openat2(fd, rel, flags, 0, resolve) }
    }

    /// What `name` in directory `dfd` is, without following a symlink.
    public func kind(_ dfd: Int32, _ name: String) -> Kind {
        var st = stat()
        guard fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// Removes `name` from `dfd` whatever it is (a directory with all it holds), never following links.
    public func remove(_ dfd: Int32, _ name: String, display: String) throws {
        if unlinkat(dfd, name, 0) == 0 { invalidate(); return }
        let e = errno
        if e == ENOENT { return }
        guard e == EISDIR || e == EPERM else { throw SystemError.make("unlinkat", errno: e, path: display) }
        try FileSystem.removeTree(in: dfd, name, display: display)
        invalidate()
    }

    /// Creates a regular file (replacing a non-directory at `name`), returning a writable fd the caller closes.
    public func createFile(_ dfd: Int32, _ name: String, display: String) throws -> Int32 {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var f = openat(dfd, name, flags, 0o600)
        if f < 0, errno == EEXIST {
            try remove(dfd, name, display: display)
            f = openat(dfd, name, flags, 0o600)
        }
        if f < 0 { throw SystemError.make("openat", errno: errno, path: display) }
        return f
    }

    /// Makes `name` a directory, keeping one that is already there; returns true when it was created.
    @discardableResult
    public func makeDirectory(_ dfd: Int32, _ name: String, display: String) throws -> Bool {
        if mkdirat(dfd, name, 0o755) == 0 { return true }
        var e = errno
        if e == EEXIST {
            if kind(dfd, name) == .directory { return false }
            try remove(dfd, name, display: display)
            if mkdirat(dfd, name, 0o755) == 0 { return true }
            e = errno
        }
        throw SystemError.make("mkdirat", errno: e, path: display)
    }

    public func symlink(_ target: String, _ dfd: Int32, _ name: String, display: String) throws {
        if symlinkat(target, dfd, name) == 0 { return }
        var e = errno
        if e == EEXIST {
            try remove(dfd, name, display: display)
            if symlinkat(target, dfd, name) == 0 { return }
            e = errno
        }
        throw SystemError.make("symlinkat", errno: e, path: display)
    }

    /// Hard-links `srcName` in `srcDir` (never following it) to `name` in `dfd`.
    public func hardlink(from srcDir: Int32, _ srcName: String, to dfd: Int32, _ name: String, display: String) throws {
        if linkat(srcDir, srcName, dfd, name, 0) == 0 { return }
        var e = errno
        if e == EEXIST {
            try remove(dfd, name, display: display)
            if linkat(srcDir, srcName, dfd, name, 0) == 0 { return }
            e = errno
        }
        throw SystemError.make("linkat", errno: e, path: display)
    }

    /// mknodat for character/block devices, FIFOs and overlay whiteouts (char 0/0).
    public func makeNode(_ dfd: Int32, _ name: String, mode: mode_t, major: UInt32, minor: UInt32, display: String) throws {
        let dev = cshim_makedev(major, minor)
        if mknodat(dfd, name, mode, dev) == 0 { return }
        var e = errno
        if e == EEXIST {
            try remove(dfd, name, display: display)
            if mknodat(dfd, name, mode, dev) == 0 { return }
            e = errno
        }
        throw SystemError.make("mknodat", errno: e, path: display)
    }

    /// Opens an existing directory `name` in `dfd` for metadata changes (never following a link).
    public func openChildDirectory(_ dfd: Int32, _ name: String, display: String) throws -> Int32 {
        try retryingEINTR("openat", path: display) { openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
    }

    /// lchown: owner of `name` itself.
    public func changeOwner(_ dfd: Int32, _ name: String, uid: UInt32, gid: UInt32, display: String) throws {
        try retryingEINTR("fchownat", path: display) { fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
    }

    /// Sets atime/mtime of `name` itself (seconds, nanoseconds).
    public func setTimes(_ dfd: Int32, _ name: String, mtime: (Int, Int), display: String) throws {
        var ts = [timespec(tv_sec: mtime.0, tv_nsec: mtime.1), timespec(tv_sec: mtime.0, tv_nsec: mtime.1)]
        try retryingEINTR("utimensat", path: display) { utimensat(dfd, name, &ts, AT_SYMLINK_NOFOLLOW) }
    }
}

/// Operations on an open file descriptor, naming `display` in errors.
public enum FileDescriptorOps {
    public static func pwriteAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer, offset: Int64, display: String) throws {
        var done = 0
        while done < buf.count {
            let n = try retryingEINTR("pwrite", path: display) {
                pwrite(fd, buf.baseAddress! + done, buf.count - done, off_t(offset) + off_t(done))
            }
            done += n
        }
    }

    public static func truncate(_ fd: Int32, size: Int64, display: String) throws {
        try retryingEINTR("ftruncate", path: display) { ftruncate(fd, off_t(size)) }
    }

    public static func chown(_ fd: Int32, uid: UInt32, gid: UInt32, display: String) throws {
        try retryingEINTR("fchown", path: display) { fchown(fd, uid, gid) }
    }

    public static func chmod(_ fd: Int32, mode: UInt32, display: String) throws {
        try retryingEINTR("fchmod", path: display) { fchmod(fd, mode_t(mode)) }
    }

    public static func setTimes(_ fd: Int32, mtime: (Int, Int), display: String) throws {
        var ts = [timespec(tv_sec: mtime.0, tv_nsec: mtime.1), timespec(tv_sec: mtime.0, tv_nsec: mtime.1)]
        try retryingEINTR("futimens", path: display) { futimens(fd, &ts) }
    }

    public static func setXattr(_ fd: Int32, name: String, value: UnsafeRawBufferPointer, display: String) throws {
        try retryingEINTR("fsetxattr", path: "\(display) (\(name))") { fsetxattr(fd, name, value.baseAddress, value.count, 0) }
    }

    public static func close(_ fd: Int32) { Glibc.close(fd) }
}

extension RootedDirectory {
    /// dup(2) of a directory fd the caller then owns.
    public func duplicate(_ dfd: Int32, display: String) throws -> Int32 {
        try retryingEINTR("dup", path: display) { fcntl(dfd, F_DUPFD_CLOEXEC, 0) }
    }
}
