import CNCCore
import Glibc

extension FileSystem {
    /// Creates `path` with `bytes` only if nothing exists there (O_EXCL): an atomic claim, e.g.
    /// of an IP lease. Returns false when the path already exists. Not fsynced: these files
    /// describe live kernel state that a reboot discards anyway; readers treat a short or empty
    /// file as stale.
    public static func createExclusive(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 {
            let e = errno
            if e == EEXIST { return false }
            throw SystemError.make("open", errno: e, path: path)
        }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
        return true
    }

    /// Replaces `path` by rename of a temp file (readers see old or new, never a mix) without
    /// fsync, for files that only matter while the processes they describe live.
    public static func replaceVolatile(_ bytes: [UInt8], at path: String, mode: mode_t = 0o644) throws {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try retryingEINTR("open", path: tmp) { open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        do {
            defer { close(fd) }
            try writeAll(fd, bytes, path: tmp)
        } catch {
            unlink(tmp)
            throw error
        }
        if rename(tmp, path) != 0 {
            let e = errno
            unlink(tmp)
            throw SystemError.make("rename", errno: e, path: path)
        }
    }

    /// Rewrites an existing file in place (same inode), so a bind mount of it sees the new
    /// content: write from offset 0, then truncate to the new length.
    public static func rewriteInPlace(_ bytes: [UInt8], at path: String, mode: mode_t = 0o644) throws {
        let fd = try retryingEINTR("open", path: path) { open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = try retryingEINTR("pwrite", path: path) {
                bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + offset, $0.count - offset, off_t(offset)) }
            }
            offset += n
        }
        try retryingEINTR("ftruncate", path: path) { ftruncate(fd, off_t(bytes.count)) }
    }

    /// Removes a directory tree; missing is fine. Does not follow symlinks out of the tree.
    public static func removeTree(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectory(path) { try removeTree(path + "/" + name) }
        }
        try remove(path)
    }
}
