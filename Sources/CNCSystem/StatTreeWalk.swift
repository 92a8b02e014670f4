import Glibc

/// One pass over a directory tree's stat data, for a change check that must be cheap (the `cnc`
/// front's no-change rebuild, BuildReplayTicket): every entry below `root` (nothing ignored,
/// symlinks not followed, directories entered in readdir order) is handed to `visit` as one
/// record of bytes — its path relative to `root`, NUL, its lstat fields (mode, uid, gid, size,
/// device, inode, mtime and ctime in nanoseconds, each 8 bytes little-endian), and for a symlink
/// its target. No Foundation, no String per entry: the same tree, unchanged, gives the same
/// records in the same order (readdir's order of an unmodified directory is stable; a
/// modification moves the directory's own mtime/ctime, which is in its record).
public enum StatTreeWalk {
    /// The number of entries and the newest ctime among them (ns), or nil when some part of
    /// the tree cannot be read (or it is not a directory).
    public static func walk(_ root: String, _ visit: (UnsafeRawBufferPointer) -> Void) -> (entries: Int, newestCtime: Int64)? {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var record: [UInt8] = []
        record.reserveCapacity(512)
        var path: [UInt8] = []
        var state = (entries: 0, newest: Int64.min)
        guard walk(fd, &path, &record, &state, visit) else { return nil }
        return (state.entries, state.newest)
    }

    /// Walks the directory open as `fd` (closed here), `path` being its relative path.
    private static func walk(_ fd: Int32, _ path: inout [UInt8], _ record: inout [UInt8],
                             _ state: inout (entries: Int, newest: Int64), _ visit: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard let dir = fdopendir(fd) else {
            close(fd)
            return false
        }
        defer { closedir(dir) }
        let base = path.count
        while true {
            errno = 0
            guard let entry = readdir(dir) else { return errno == 0 }
            let nameLength = withUnsafeBytes(of: entry.pointee.d_name) { raw -> Int in
                let n = raw.firstIndex(of: 0) ?? raw.count
                if n == 1, raw[0] == 0x2E { return 0 }
                if n == 2, raw[0] == 0x2E, raw[1] == 0x2E { return 0 }
                path.removeSubrange(base...)
                if base > 0 { path.append(0x2F) }
                path.append(contentsOf: raw[..<n])
                return n
            }
            if nameLength == 0 { continue }
            var st = stat()
            let ok = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw.withMemoryRebound(to: CChar.self) { fstatat(dirfd(dir), $0.baseAddress!, &st, AT_SYMLINK_NOFOLLOW) == 0 }
            }
            guard ok else { return false }
            let ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
            state.entries += 1
            state.newest = max(state.newest, ctime)
            record.removeAll(keepingCapacity: true)
            record.append(contentsOf: path)
            record.append(0)
            for v in [UInt64(st.st_mode), UInt64(st.st_uid), UInt64(st.st_gid), UInt64(bitPattern: Int64(st.st_size)),
                      UInt64(st.st_dev), UInt64(st.st_ino),
                      UInt64(bitPattern: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)),
                      UInt64(bitPattern: ctime)] {
                withUnsafeBytes(of: v.littleEndian) { record.append(contentsOf: $0) }
            }
            let kind = st.st_mode & S_IFMT
            if kind == S_IFLNK {
                var target = [UInt8](repeating: 0, count: Int(PATH_MAX))
                let n = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    raw.withMemoryRebound(to: CChar.self) { readlinkat(dirfd(dir), $0.baseAddress!, &target, target.count) }
                }
                guard n >= 0 else { return false }
                record.append(contentsOf: target[..<n])
            }
            record.withUnsafeBytes { visit($0) }
            if kind == S_IFDIR {
                let sub = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    raw.withMemoryRebound(to: CChar.self) { openat(dirfd(dir), $0.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                }
                guard sub >= 0, walk(sub, &path, &record, &state, visit) else { return false }
            }
        }
    }
}
