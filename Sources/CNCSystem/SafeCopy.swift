import CNCCore
import CShim
import Glibc

/// Copies between the host and a container's root (`/proc/<pid>/root`) without ever leaving
/// that root: every container-side path is resolved with openat2(RESOLVE_IN_ROOT), entries
/// are opened with O_NOFOLLOW relative to their parent's fd, and symlinks are copied as links.
/// Archive mode: mode, owner and times are kept.
public enum SafeCopy {
    /// Owner ids as written: a user-namespaced container's files carry host ids on disk, so a
    /// copy out gives them back as the container's and a copy in writes the mapped ones.
    public typealias OwnerMap = (_ uid: UInt32, _ gid: UInt32) -> (UInt32, UInt32)

    static let O_PATH: Int32 = 0o10000000

    static let resolveInRoot: UInt64 = 0x10
    static let resolveNoMagicLinks: UInt64 = 0x02

    static func openInRoot(_ rootFD: Int32, _ path: String, _ flags: Int32) throws -> Int32 {
        let rel = path.drop(while: { $0 == "/" })
        let p = rel.isEmpty ? "." : String(rel)
        let fd = cshim_openat2(rootFD, p, UInt64(UInt32(bitPattern: flags)), 0, resolveInRoot | resolveNoMagicLinks)
        if fd < 0 { throw SystemError.make("openat2", errno: errno, path: path) }
        return fd
    }

    static func stat(_ fd: Int32) throws -> stat {
        var st = Glibc.stat()
        guard fstat(fd, &st) == 0 else { throw SystemError.make("fstat", errno: errno) }
        return st
    }

    /// Container path -> host path (docker cp CONTAINER:SRC DEST).
    public static func copyOut(root: String, path: String, to dest: String, followLink: Bool = false, mapOwner: OwnerMap? = nil) throws {
        let rootFD = try FD.open(root, O_PATH | O_DIRECTORY)
        defer { close(rootFD) }
        let src = try openInRoot(rootFD, path, O_PATH | (followLink || path.hasSuffix("/") ? 0 : O_NOFOLLOW))
        defer { close(src) }
        let name = FileSystem.baseName(path.hasSuffix("/") ? String(path.dropLast()) : path)
        var target = dest
        if FileSystem.isDirectory(dest) { target = dest + "/" + (name.isEmpty ? "root" : name) }
        let destDir = try FD.open(FileSystem.directoryName(target), O_PATH | O_DIRECTORY)
        defer { close(destDir) }
        try copyEntry(fromDir: nil, fromFD: src, toDir: destDir, name: FileSystem.baseName(target), mapOwner: mapOwner)
    }

    /// Host path -> container path (docker cp SRC CONTAINER:DEST).
    public static func copyIn(_ source: String, root: String, path: String, followLink: Bool = false, mapOwner: OwnerMap? = nil) throws {
        let rootFD = try FD.open(root, O_PATH | O_DIRECTORY)
        defer { close(rootFD) }
        let src = try FD.open(source, O_PATH | (followLink || source.hasSuffix("/") ? 0 : O_NOFOLLOW))
        defer { close(src) }
        let srcName = FileSystem.baseName(source.hasSuffix("/") ? String(source.dropLast()) : source)
        // An existing directory receives the source inside it; otherwise create `path` itself.
        if let dir = try? openInRoot(rootFD, path, O_PATH | O_DIRECTORY) {
            defer { close(dir) }
            try copyEntry(fromDir: nil, fromFD: src, toDir: dir, name: srcName, mapOwner: mapOwner)
        } else {
            let parent = try openInRoot(rootFD, FileSystem.directoryName(path.hasPrefix("/") ? path : "/" + path), O_PATH | O_DIRECTORY)
            defer { close(parent) }
            try copyEntry(fromDir: nil, fromFD: src, toDir: parent, name: FileSystem.baseName(path), mapOwner: mapOwner)
        }
    }

    /// The text of a small regular file at `path` inside `root` (an image layer: a link in it
    /// never leads out), nil if there is none; at most `limit` bytes are read.
    public static func readText(root: String, path: String, limit: Int = 1 << 20) -> String? {
        guard let rootFD = try? FD.open(root, O_PATH | O_DIRECTORY) else { return nil }
        defer { close(rootFD) }
        guard let fd = try? openInRoot(rootFD, path, O_RDONLY | O_CLOEXEC) else { return nil }
        defer { close(fd) }
        guard let st = try? stat(fd), st.st_mode & S_IFMT == S_IFREG else { return nil }
        var out: [UInt8] = [], buf = [UInt8](repeating: 0, count: 65536)
        while out.count < limit, let n = try? FD.read(fd, into: &buf), n > 0 { out += buf[0..<min(n, limit - out.count)] }
        return String(decoding: out, as: UTF8.self)
    }

    /// Copies what `fromFD` (an O_PATH fd) is into `toDir` as `name`, never following links.
    static func copyEntry(fromDir: Int32?, fromFD: Int32, toDir: Int32, name: String, mapOwner: OwnerMap?) throws {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw CNCError(.invalidArgument, "invalid copy destination name \"\(name)\"")
        }
        let st = try stat(fromFD)
        let kind = st.st_mode & S_IFMT
        switch kind {
        case S_IFDIR:
            if mkdirat(toDir, name, 0o700) != 0 && errno != EEXIST { throw SystemError.make("mkdirat", errno: errno, path: name) }
            let out = cshim_openat2(toDir, name, UInt64(UInt32(bitPattern: O_PATH | O_DIRECTORY | O_NOFOLLOW)), 0, resolveInRoot)
            if out < 0 { throw SystemError.make("open", errno: errno, path: name) }
            defer { close(out) }
            let readable = openat(fromFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if readable < 0 { throw SystemError.make("open", errno: errno, path: name) }
            guard let d = fdopendir(readable) else { close(readable); throw SystemError.make("fdopendir", errno: errno, path: name) }
            defer { closedir(d) }
            while let e = readdir(d) {
                let child = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if child == "." || child == ".." { continue }
                let cfd = openat(readable, child, O_PATH | O_NOFOLLOW | O_CLOEXEC)
                if cfd < 0 { throw SystemError.make("openat", errno: errno, path: child) }
                defer { close(cfd) }
                try copyEntry(fromDir: readable, fromFD: cfd, toDir: out, name: child, mapOwner: mapOwner)
            }
            try applyMetadata(st, dir: toDir, name: name, mapOwner: mapOwner)
        case S_IFREG:
            // Re-open the O_PATH fd for reading without another path lookup.
            let inFD = Glibc.open("/proc/self/fd/\(fromFD)", O_RDONLY | O_CLOEXEC)
            if inFD < 0 { throw SystemError.make("open", errno: errno, path: name) }
            defer { close(inFD) }
            let outFD = openat(toDir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if outFD < 0 { throw SystemError.make("create", errno: errno, path: name) }
            defer { close(outFD) }
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = try FD.read(inFD, into: &buf)
                if n == 0 { break }
                try FileSystem.writeAll(outFD, Array(buf[0..<n]), path: name)
            }
            try applyMetadata(st, dir: toDir, name: name, mapOwner: mapOwner)
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlinkat(fromFD, "", &buf, buf.count - 1)
            if n < 0 { throw SystemError.make("readlink", errno: errno, path: name) }
            let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            unlinkat(toDir, name, 0)
            if symlinkat(target, toDir, name) != 0 { throw SystemError.make("symlink", errno: errno, path: name) }
            let (uid, gid) = mapOwner?(st.st_uid, st.st_gid) ?? (st.st_uid, st.st_gid)
            _ = fchownat(toDir, name, uid, gid, AT_SYMLINK_NOFOLLOW)
        default:
            // Devices, fifos and sockets are not copied (docker cp skips them too).
            return
        }
    }

    static func applyMetadata(_ st: stat, dir: Int32, name: String, mapOwner: OwnerMap?) throws {
        let (uid, gid) = mapOwner?(st.st_uid, st.st_gid) ?? (st.st_uid, st.st_gid)
        _ = fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW)
        _ = fchmodat(dir, name, st.st_mode & 0o7777, 0)
        var times = [st.st_atim, st.st_mtim]
        _ = utimensat(dir, name, &times, AT_SYMLINK_NOFOLLOW)
    }
}
