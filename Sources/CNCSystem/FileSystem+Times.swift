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
