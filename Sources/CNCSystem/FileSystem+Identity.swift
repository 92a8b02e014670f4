import CShim
import Glibc

extension FileSystem {
    /// Device, inode, size and modification and change times of `path` as one string: equal
    /// strings mean the file was not replaced or modified in between. nil when it is missing.
    public static func identity(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return "\(st.st_dev):\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec):\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)"
    }

    /// Device, inode and size of `path`: for a file only ever replaced whole (a temp file renamed
    /// over it), equal strings mean the same bytes, whatever happened to its times. nil when missing.
    public static func inodeIdentity(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return "\(st.st_dev):\(st.st_ino):\(st.st_size)"
    }
}

extension FileSystem {
    /// True when `path` is on a tmpfs (memory-backed: no journal, no inode allocation scans).
    public static func isTmpfs(_ path: String) -> Bool { fileSystemType(path) == 0x0102_1994 }

    /// The type (statfs's f_type: 0x01021994 tmpfs, 0xEF53 ext2/3/4, ...) of the file system
    /// holding `path`; nil when it cannot be examined.
    public static func fileSystemType(_ path: String) -> Int? {
        let t = cshim_fs_type(path)
        return t < 0 ? nil : t
    }

    /// Creates (or finds) `path` as a directory only root can enter, and verifies it is exactly
    /// that — a real directory (not a symlink) owned by this user with no group or other
    /// access — so a name in a shared directory (/dev/shm) cannot be planted by someone else.
    /// `traversable`: others may also pass through it (0711) to a name they know, never list it.
    public static func privateDirectory(_ path: String, traversable: Bool = false) -> Bool {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { return false }
        var st = stat()
        guard lstat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR && st.st_uid == geteuid() && (st.st_mode & (traversable ? 0o066 : 0o077)) == 0
    }
}

extension FileSystem {
    /// What stat(2) says about a path that may be a device node (symlinks followed).
    public struct NodeInfo: Sendable {
        public var isDirectory: Bool
        /// "c", "b", or nil for anything but a device node.
        public var deviceType: String?
        public var major: Int64
        public var minor: Int64
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
    }

    public static func nodeInfo(_ path: String) throws -> NodeInfo {
        var st = stat()
        guard stat(path, &st) == 0 else { throw SystemError.make("stat", errno: errno, path: path) }
        let kind = st.st_mode & S_IFMT
        let dev = UInt64(st.st_rdev)
        // glibc's gnu_dev_major/minor encoding.
        let major = Int64(((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff)))
        let minor = Int64((dev & 0xff) | ((dev >> 12) & ~UInt64(0xff)))
        return NodeInfo(isDirectory: kind == S_IFDIR, deviceType: kind == S_IFCHR ? "c" : kind == S_IFBLK ? "b" : nil,
                        major: major, minor: minor, mode: UInt32(st.st_mode), uid: st.st_uid, gid: st.st_gid)
    }
}
