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
}
