import Glibc

/// Deleting a removed container's directory, off the CLI's path (`cnc-monitor --remove-tree`):
/// on a disk with online discard each rmdir costs milliseconds.
public enum TreeRemoval {
    /// Removes each of `dirs` that lies in a trash directory (`/.trash/`); nothing else.
    public static func removeTrash(_ dirs: some Sequence<String>) {
        for dir in dirs where dir.contains("/.trash/") { removeTree(dir) }
    }

    /// `rm -rf` without following links (and without crossing into mounts: rmdir fails there).
    static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            unlink(path)
            return
        }
        if let d = opendir(path) {
            var names: [String] = []
            while let e = readdir(d) {
                let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if n != "." && n != ".." { names.append(n) }
            }
            closedir(d)
            for n in names { removeTree(path + "/" + n) }
        }
        rmdir(path)
    }
}
