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
    /// Device, inode, size and modification and change times of `path` as one string: equal
    /// strings mean the file was not replaced or modified in between. nil when it is missing.
    public static func identity(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return "\(st.st_dev):\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec):\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)"
    }
}
