import CShim
import Glibc

extension FileSystem {
    /// What lstat(2) says about one directory entry (never following a symlink): enough to
    /// tell a container's changes from its image (`cnc diff`) and overlay whiteouts from files.
    public struct EntryInfo: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case regular, directory, symlink, charDevice, blockDevice, fifo, socket }
        public var kind: Kind
        /// Permission bits with setuid/setgid/sticky (no file type).
        public var permissions: UInt32
        public var size: Int64
        public var mtimeSeconds: Int64
        public var mtimeNanos: Int64
        public var major: UInt32
        public var minor: UInt32

        public init(kind: Kind, permissions: UInt32, size: Int64, mtimeSeconds: Int64 = 0, mtimeNanos: Int64 = 0,
                    major: UInt32 = 0, minor: UInt32 = 0) {
            self.kind = kind; self.permissions = permissions; self.size = size
            self.mtimeSeconds = mtimeSeconds; self.mtimeNanos = mtimeNanos; self.major = major; self.minor = minor
        }

        /// An overlay whiteout: a character device 0/0 hides the same name in lower layers.
        public var isWhiteout: Bool { kind == .charDevice && major == 0 && minor == 0 }
    }

    /// lstat(2) of `path`; nil when it does not exist (or cannot be reached).
    public static func entryInfo(_ path: String) -> EntryInfo? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        let kind: EntryInfo.Kind
        switch st.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFCHR: kind = .charDevice
        case S_IFBLK: kind = .blockDevice
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .regular
        }
        let dev = UInt64(st.st_rdev)
        // glibc's gnu_dev_major/minor encoding.
        let major = UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff)))
        let minor = UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff)))
        return EntryInfo(kind: kind, permissions: UInt32(st.st_mode) & 0o7777, size: Int64(st.st_size),
                         mtimeSeconds: Int64(st.st_mtim.tv_sec), mtimeNanos: Int64(st.st_mtim.tv_nsec), major: major, minor: minor)
    }

    /// The value of extended attribute `name` of `path` itself (lgetxattr); nil when it has none.
    public static func extendedAttribute(_ path: String, _ name: String) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { lgetxattr(path, name, $0.baseAddress, $0.count) }
        guard n >= 0 else { return nil }
        return Array(buf[0..<n])
    }

    /// True when `path` is a directory overlayfs marked opaque (trusted.overlay.opaque=y): it
    /// hides whatever lower layers hold at that path.
    public static func isOpaqueDirectory(_ path: String) -> Bool {
        extendedAttribute(path, "trusted.overlay.opaque") == [UInt8(ascii: "y")]
    }
}
