import CNCBuild
import CNCCore
import CNCSystem

/// The content digests of a build context's files kept between builds, keyed by their stat
/// (`FileDigestMemo`: dev, inode, size, mtime, ctime, mode, uid, gid): one text file per context
/// directory (named by its device and inode) under `<root>/build-cache-stat/`, so a no-change
/// rebuild stats the context instead of reading every file. Only a shortcut: a missing, stale
/// or garbled file means hashing again, never a wrong key. `cnc builder prune` and `cnc system
/// prune` remove the directory.
public enum ContextStatCache {
    public static func directory(stateRoot: String) -> String { stateRoot + "/build-cache-stat" }

    /// The file of `context`'s memo, nil when the context's root cannot be stat'ed.
    static func file(stateRoot: String, context: BuildContext) -> String? {
        guard let root = try? context.tree.lstat("") else { return nil }
        return directory(stateRoot: stateRoot) + "/\(root.device)-\(root.inode)"
    }

    /// A memo holding what earlier builds of `context` hashed (parsed on first use).
    static func load(stateRoot: String, context: BuildContext) -> FileDigestMemo {
        let memo = FileDigestMemo()
        if let file = file(stateRoot: stateRoot, context: context), let text = try? FileSystem.readText(file) {
            memo.load(text)
        }
        return memo
    }

    /// Writes `memo` back when it changed (no fsync: a crash loses a shortcut, nothing more).
    static func save(_ memo: FileDigestMemo, stateRoot: String, context: BuildContext) {
        guard memo.isDirty, let file = file(stateRoot: stateRoot, context: context) else { return }
        try? FileSystem.createDirectory(directory(stateRoot: stateRoot), mode: 0o700)
        try? FileSystem.writeReplacing(Array(memo.serialized().utf8), to: file, mode: 0o600)
        Trace.mark("build: context stat cache written")
    }

    /// Removes every context's memo; returns the bytes freed.
    public static func remove(stateRoot: String) throws -> Int64 {
        let dir = directory(stateRoot: stateRoot)
        guard FileSystem.exists(dir) else { return 0 }
        let bytes = FileSystem.diskUsage(dir)
        try FileSystem.removeTree(dir)
        return bytes
    }
}
