import CNCCore
import Glibc

extension FileSystem {
    /// Removes `path` and everything under it without ever following a symlink
    /// (unlinkat through directory fds opened O_NOFOLLOW) and without crossing into another
    /// file system: a mount point inside (a still-mounted overlay, a bind) is refused, never
    /// emptied. Missing is fine.
    public static func removeTree(_ path: String) throws {
        let parent = directoryName(path)
        let dfd = try retryingEINTR("open", path: parent) { open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dfd) }
        try removeTree(in: dfd, baseName(path), display: path)
    }

    /// Removes `name` in directory `dfd` (a file, or a directory with all it holds).
    public static func removeTree(in dfd: Int32, _ name: String, display: String) throws {
        if unlinkat(dfd, name, 0) == 0 { return }
        var e = errno
        if e == ENOENT { return }
        guard e == EISDIR || e == EPERM else { throw SystemError.make("unlinkat", errno: e, path: display) }
        let sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if sub < 0 { throw SystemError.make("openat", errno: errno, path: display) }
        var parentStat = stat(), subStat = stat()
        if fstat(dfd, &parentStat) == 0, fstat(sub, &subStat) == 0, parentStat.st_dev != subStat.st_dev {
            close(sub)
            throw CNCError(.conflict, "refusing to remove \(display): it is a mount point")
        }
        guard let dir = fdopendir(sub) else {
            e = errno
            close(sub)
            throw SystemError.make("fdopendir", errno: e, path: display)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let n = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if n != "." && n != ".." { names.append(n) }
        }
        let subfd = dirfd(dir)
        for n in names { try removeTree(in: subfd, n, display: display + "/" + n) }
        if unlinkat(dfd, name, AT_REMOVEDIR) != 0, errno != ENOENT {
            throw SystemError.make("rmdir", errno: errno, path: display)
        }
    }

    /// Renames `from` to `to` (same filesystem); fails with EEXIST/ENOTEMPTY if `to` is a non-empty directory.
    public static func moveItem(_ from: String, to: String) throws {
        try retryingEINTR("rename", path: "\(from) -> \(to)") { Glibc.rename(from, to) }
    }

    /// Size in bytes of the file at `path`, nil when missing.
    public static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    /// Modification time (seconds since the epoch) of `path`.
    public static func modificationTime(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mtim.tv_sec
    }

    /// Sets the access and modification times of `path` to now; false when it cannot.
    @discardableResult
    public static func touch(_ path: String) -> Bool { utimensat(AT_FDCWD, path, nil, 0) == 0 }

    /// Disk usage in bytes of a tree (allocated blocks), not following symlinks.
    public static func diskUsage(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        var total = Int64(st.st_blocks) * 512
        if (st.st_mode & S_IFMT) == S_IFDIR, let names = try? listDirectory(path) {
            for n in names { total += diskUsage(path + "/" + n) }
        }
        return total
    }
}

extension FileSystem {
    /// chmod(2) of `path` itself.
    public static func setMode(_ path: String, _ mode: UInt32) throws {
        try retryingEINTR("chmod", path: path) { chmod(path, mode_t(mode)) }
    }

    /// lchown(2) of `path` itself.
    public static func setOwner(_ path: String, uid: UInt32, gid: UInt32) throws {
        try retryingEINTR("lchown", path: path) { lchown(path, uid, gid) }
    }

    /// `path` and everything below it become `uid`:`gid`'s (`-v SRC:DST:U`); symlinks are
    /// changed themselves, never followed.
    public static func setOwnerRecursively(_ path: String, uid: UInt32, gid: UInt32) throws {
        try setOwner(path, uid: uid, gid: gid)
        guard !isSymlink(path), isDirectory(path) else { return }
        for name in try listDirectory(path) { try setOwnerRecursively(path + "/" + name, uid: uid, gid: gid) }
    }

    /// Every entry under `path` (itself included, links themselves) gets owner `map(uid, gid)`
    /// of its current one, keeping its setuid/setgid bits (which chown clears): a copy of an
    /// image layer moved into a user namespace's ids.
    public static func mapOwnersRecursively(_ path: String, _ map: (UInt32, UInt32) -> (UInt32, UInt32)) throws {
        try visitRecursively(path) { path, st in
            let (uid, gid) = map(st.st_uid, st.st_gid)
            try setOwner(path, uid: uid, gid: gid)
            if st.st_mode & S_IFMT != S_IFLNK, st.st_mode & 0o6000 != 0 { try setMode(path, UInt32(st.st_mode & 0o7777)) }
        }
    }

    /// The largest uid or gid owning an entry under `path` (itself included, links themselves).
    public static func largestOwnerRecursively(_ path: String) throws -> UInt32 {
        var largest: UInt32 = 0
        try visitRecursively(path) { _, st in largest = max(largest, st.st_uid, st.st_gid) }
        return largest
    }

    /// `body` for `path` and every entry under it (lstat: links are not followed), parents first.
    static func visitRecursively(_ path: String, _ body: (String, stat) throws -> Void) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw SystemError.make("lstat", errno: errno, path: path) }
        try body(path, st)
        guard st.st_mode & S_IFMT == S_IFDIR else { return }
        for name in try listDirectory(path) { try visitRecursively(path + "/" + name, body) }
    }
}
