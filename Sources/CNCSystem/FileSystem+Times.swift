import Glibc

extension FileSystem {
    /// The status-change time of `path` itself (not a symlink's target), in nanoseconds since
    /// the epoch; nil when it does not exist.
    public static func lstatChangeTimeNanos(_ path: String) -> Int64? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }
}

extension FileSystem {
    /// `path`'s (following a symlink) device, inode, mode, size, mtime and ctime (nanoseconds)
    /// as one string, for records that compare a file with what it was; nil when missing.
    /// `changeTime: false` leaves the ctime out (a file whose owner is set again at every open).
    public static func statSignature(_ path: String, changeTime: Bool = true) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let base = "\(st.st_dev) \(st.st_ino) \(st.st_mode) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        return changeTime ? base + " \(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)" : base
    }

    /// The modification time of `path` (following a symlink) in nanoseconds since the epoch;
    /// nil when it does not exist.
    public static func modificationTimeNanos(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    /// The status-change time of `path` (following a symlink) in nanoseconds since the epoch;
    /// nil when it does not exist.
    public static func changeTimeNanos(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }
}
