import CNCCore
import CShim
import Glibc

extension SafeCopy {
    /// develop.watch's sync: makes `path` inside `root` what the host's `source` is now. It is
    /// copied (missing parent directories made, an entry of another kind at `path` replaced,
    /// a directory merged into), or removed when `source` no longer exists. Every container-side
    /// lookup stays inside `root`, as for `cnc cp`.
    public static func sync(_ source: String, root: String, path: String, mapOwner: OwnerMap? = nil) throws {
        let parts = path.split(separator: "/").map(String.init)
        guard let name = parts.last, !parts.contains(".."), !parts.contains(".") else {
            throw CNCError(.invalidArgument, "cannot sync to \(path): not a file path")
        }
        let rootFD = try FD.open(root, O_PATH | O_DIRECTORY)
        defer { close(rootFD) }
        let parent = try makeDirectories(rootFD, Array(parts.dropLast()))
        defer { close(parent) }
        var host = Glibc.stat()
        guard lstat(source, &host) == 0 else {
            let e = errno
            guard e == ENOENT || e == ENOTDIR else { throw SystemError.make("lstat", errno: e, path: source) }
            return try FileSystem.removeTree(in: parent, name, display: path)
        }
        var there = Glibc.stat()
        if fstatat(parent, name, &there, AT_SYMLINK_NOFOLLOW) == 0, there.st_mode & S_IFMT != host.st_mode & S_IFMT {
            try FileSystem.removeTree(in: parent, name, display: path)
        }
        let src = try FD.open(source, O_PATH | O_NOFOLLOW)
        defer { close(src) }
        try copyEntry(fromDir: nil, fromFD: src, toDir: parent, name: name, mapOwner: mapOwner)
    }

    /// The directory `components` (from the root) as an O_PATH fd, each missing one made
    /// (0755), each resolved inside the root.
    static func makeDirectories(_ rootFD: Int32, _ components: [String]) throws -> Int32 {
        var dir = try openInRoot(rootFD, "/", O_PATH | O_DIRECTORY)
        var sofar = ""
        for c in components {
            if mkdirat(dir, c, 0o755) != 0, errno != EEXIST {
                let e = errno
                close(dir)
                throw SystemError.make("mkdirat", errno: e, path: sofar + "/" + c)
            }
            sofar += "/" + c
            close(dir)
            dir = try openInRoot(rootFD, sofar, O_PATH | O_DIRECTORY)
        }
        return dir
    }
}
