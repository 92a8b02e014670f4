import CNCCore
import CShim
import Glibc
import Synchronization

/// File operations with errors that name the call, the errno and the path.
public enum FileSystem {
    /// The whole content of `path`.
    public static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = try retryingEINTR("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        // Read straight into the result, a regular file's size (+1, to meet its end) at once:
        // no 64 KiB buffer cleared and copied out of per call (a no-op apply reads ~60 small
        // files). /proc files and pipes, whose size says nothing, grow 4 KiB at a time.
        var st = Glibc.stat()
        let size = fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG ? Int(st.st_size) : 0
        var step = size > 0 ? size + 1 : 4096
        var out: [UInt8] = []
        while true {
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: step))
            let n = try retryingEINTR("read", path: path) { out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + start, step) } }
            out.removeLast(step - n)
            if n == 0 { break }
            step = 4096
        }
        return out
    }

    /// The content of `path` as UTF-8 text.
    public static func readText(_ path: String) throws -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    /// True when something (file, dir, link target) exists at `path`.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The process's working directory.
    public static func currentDirectory() throws -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { throw SystemError.make("getcwd", errno: errno) }
        return String(nulTerminated: buf)
    }

    /// True when `path` itself is a symbolic link (lstat).
    public static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func isExecutable(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// The entries of a directory, without "." and "..", sorted.
    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SystemError.make("opendir", errno: errno, path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// `mkdir -p` with `mode` for the directories it creates.
    public static func createDirectory(_ path: String, mode: mode_t = 0o755) throws {
        // Common case first: the parent exists; otherwise create the missing ancestors upward
        // from the deepest one that exists (not every component from the root).
        if mkdir(path, mode) == 0 { return }
        var e = errno
        if e == EEXIST && isDirectory(path) { return }
        let parent = directoryName(path)
        if e == ENOENT && !parent.isEmpty && parent != path && parent != "/" && parent != "." {
            try createDirectory(parent, mode: mode)
            if mkdir(path, mode) == 0 { return }
            e = errno
            if e == EEXIST && isDirectory(path) { return }
        }
        throw SystemError.make("mkdir", errno: e, path: path)
    }

    /// `createDirectory`, then marks `path` as the top of directory hierarchies (chattr +T), once
    /// per process and path: ext4's Orlov allocator then spreads the directories made in it over
    /// the block groups, as it does for those in /. Without that, every container directory and
    /// its files land in the parent's group, and on an ext4 without a journal each new inode
    /// there first walks past the inodes deleted in the last minutes (`recently_deleted`):
    /// 60-300 µs a file instead of 16 after a teardown (a first apply of 20 services creates
    /// ~600). File systems without the flag (tmpfs, xfs, btrfs) just keep their own placement.
    public static func createSpreadDirectory(_ path: String, mode: mode_t = 0o755) throws {
        try createDirectory(path, mode: mode)
        guard spreadMarked.withLock({ $0.insert(path).inserted }) else { return }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        _ = cshim_mark_topdir(fd)
        close(fd)
    }
    private static let spreadMarked = Mutex<Set<String>>([])

    /// Whether `path` carries chattr's +T (see createSpreadDirectory); nil where its file system
    /// keeps no inode flags or `path` cannot be opened.
    public static func isTopDirectory(_ path: String) -> Bool? {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let r = cshim_is_topdir(fd)
        return r < 0 ? nil : r == 1
    }

    /// Writes `bytes` to `path` so that readers see the old or the new content, never a mix,
    /// even across a crash: temp file in the same directory, fsync, rename, fsync the directory.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let dir = directoryName(path)
        var template = Array("\(dir)/.\(baseName(path)).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { cshim_mkstemp_cloexec($0.baseAddress!) }
        guard fd >= 0 else { throw SystemError.make("mkostemp", errno: errno, path: "\(dir)/.\(baseName(path)).tmp-XXXXXX") }
        let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var committed = false
        defer {
            if !committed { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            try writeAll(fd, bytes, path: tmp)
            try retryingEINTR("fchmod", path: tmp) { fchmod(fd, mode) }
            try retryingEINTR("fsync", path: tmp) { fsync(fd) }
        }
        try retryingEINTR("rename", path: path) { Glibc.rename(tmp, path) }
        committed = true
        try syncDirectory(dir)
    }

    /// Like writeAtomically (readers see old or new, never a mix) but without the fsyncs: for
    /// files that are rewritten from their source on the next start (a container's generated
    /// configuration), where a crash loses nothing that matters.
    public static func writeReplacing(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let dir = directoryName(path)
        var template = Array("\(dir)/.\(baseName(path)).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { cshim_mkstemp_cloexec($0.baseAddress!) }
        guard fd >= 0 else { throw SystemError.make("mkostemp", errno: errno, path: "\(dir)/.\(baseName(path)).tmp-XXXXXX") }
        let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        do {
            defer { close(fd) }
            try writeAll(fd, bytes, path: tmp)
            try retryingEINTR("fchmod", path: tmp) { fchmod(fd, mode) }
            try retryingEINTR("rename", path: path) { Glibc.rename(tmp, path) }
        } catch {
            unlink(tmp)
            throw error
        }
    }

    public static func writeAtomically(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        try writeAtomically(Array(text.utf8), to: path, mode: mode)
    }

    /// fsyncs a directory so a rename or create in it survives a crash.
    public static func syncDirectory(_ dir: String) throws {
        let dfd = try retryingEINTR("open", path: dir) { open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dfd) }
        try retryingEINTR("fsync", path: dir) { fsync(dfd) }
    }

    /// Writes every byte, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = try retryingEINTR("write", path: path) {
                bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += n
        }
    }

    /// Removes `path` (a file or an empty directory); missing is fine.
    public static func remove(_ path: String) throws {
        if unlink(path) == 0 { return }
        var e = errno
        if e == ENOENT { return }
        if e == EISDIR || e == EPERM, rmdir(path) == 0 { return }
        e = errno
        if e == ENOENT { return }
        throw SystemError.make("remove", errno: e, path: path)
    }

    /// "/a/b/c" -> "/a/b"; "c" -> "."
    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// "/a/b/c" -> "c"
    public static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
