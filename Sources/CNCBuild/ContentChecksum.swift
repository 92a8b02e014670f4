import CNCCore
import CNCSystem
import Crypto
import Synchronization

/// The checksum of what a COPY/ADD selects: SHA-256 over each entry's relative name, type,
/// mode, owner and content (a regular file's SHA-256, a symlink's target) — never its times,
/// so `touch` changes nothing and one changed byte changes the checksum.
public enum ContentChecksum {
    public static func digest(_ selections: [BuildContext.Selection], context: BuildContext,
                              memo: FileDigestMemo? = nil) throws -> String {
        var h = SHA256()
        for s in selections {
            feed(&h, "source\0\(s.source)\0")
            for f in s.files {
                try feedEntry(&h, relative: f.relative, f.entry, link: f.linkTarget) { try fileDigest(f, context: context, memo: memo) }
            }
        }
        return "sha256:" + hex(h.finalize())
    }

    /// One entry's part of a checksum: its relative name, type, mode and owner, then a regular
    /// file's content digest (`content`, asked only for one), a symlink's target, or nothing.
    public static func feedEntry(_ h: inout SHA256, relative: String, _ e: RootedTree.Entry, link: String?,
                                 content: () throws -> String) throws {
        let type = switch e.kind { case .directory: "d" case .regular: "f" case .symlink: "l" case .other: "o" }
        feed(&h, "\(relative)\0\(type)\0\(String(e.mode, radix: 8))\0\(e.uid):\(e.gid)\0")
        switch e.kind {
        case .regular: feed(&h, try content() + "\0")
        case .symlink: feed(&h, (link ?? "") + "\0")
        default: feed(&h, "\0")
        }
    }

    /// The SHA-256 (hex) of the regular file `path` of `tree`, read as `expect` says it is.
    public static func contentDigest(_ tree: RootedTree, _ path: String, expect: RootedTree.Entry) throws -> String {
        var h = SHA256()
        try tree.read(path, expect: expect) { h.update(bufferPointer: $0) }
        return hex(h.finalize())
    }

    /// One regular file's content digest, from the memo when its stat says it is the file hashed before.
    public static func fileDigest(_ f: BuildContext.File, context: BuildContext, memo: FileDigestMemo?) throws -> String {
        let key = FileDigestMemo.Key(f.entry)
        if let memo, let d = memo.lookup(f.path, key) { return d }
        let d = try contentDigest(context.tree, f.path, expect: f.entry)
        memo?.store(f.path, key, d)
        return d
    }

    /// Adds `s`'s UTF-8 bytes to `h`.
    public static func feed(_ h: inout SHA256, _ s: String) {
        var s = s
        s.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    /// Lowercase hex of a digest's bytes.
    public static func hex<D: Sequence>(_ d: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in d { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A shortcut for content digests (a stat cache, as git's index is): path -> (dev, inode, size,
/// mtime, ctime, mode, uid, gid) -> content digest. It only ever skips re-reading a file whose
/// values are all unchanged; any difference means hashing the content again. The digest it
/// gives is the content's, so a cache key never depends on times: `touch` rebuilds nothing.
/// CNCBuilder's `ContextStatCache` keeps one per build context under the state root, so it
/// survives processes.
///
/// Why ctime makes this safe against the moby/buildkit#4817 class of bug (a file changed
/// without changing its size or mtime reused a stale COPY cache): size and mtime are under user
/// control — `touch -d`, `cp -p`, tar and rsync restore mtimes, and editors can rewrite a file
/// to the same size — but ctime is not: the kernel sets it to the current time on every write,
/// truncate, chmod, chown, link count change and utimensat (setting mtime bumps ctime), and no
/// system call sets it back. A file replaced by rename is a new inode. So equal (dev, ino, size,
/// mtime, ctime) means the inode was not modified since it was hashed — except for a write in
/// the same clock tick as the stat that was memoized, which is why entries whose ctime is within
/// `racyWindow` of the moment they were hashed are never stored (git's "racy clean" rule): such
/// a file is hashed again by every build until it has been left alone for that long.
public final class FileDigestMemo: Sendable {
    public struct Key: Hashable, Sendable {
        public var device: UInt64, inode: UInt64, size: Int64, mtime: Int64, ctime: Int64
        public var mode: UInt32, uid: UInt32, gid: UInt32
        public init(device: UInt64, inode: UInt64, size: Int64, mtime: Int64, ctime: Int64,
                    mode: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0) {
            self.device = device
            self.inode = inode
            self.size = size
            self.mtime = mtime
            self.ctime = ctime
            self.mode = mode
            self.uid = uid
            self.gid = gid
        }
        public init(_ e: RootedTree.Entry) {
            self.init(device: e.device, inode: e.inode, size: e.size, mtime: e.mtimeNanos, ctime: e.ctimeNanos,
                      mode: e.mode, uid: e.uid, gid: e.gid)
        }
    }

    /// Nanoseconds: a file changed this recently may still change within the same timestamp tick
    /// (2 s covers file systems with second or FAT's 2-second granularity as well as the kernel's
    /// coarse clock on nanosecond ones).
    public static let racyWindow: Int64 = 2_000_000_000

    struct State {
        var entries: [String: (Key, String)] = [:]
        /// Text given to `load` and not parsed yet (parsed on the first lookup or store).
        var pending: String?
        /// Changed since loaded: worth writing back.
        var dirty = false

        mutating func parsePending() {
            guard let text = pending else { return }
            pending = nil
            let loaded = FileDigestMemo.parse(text)
            entries.merge(loaded) { current, _ in current }
        }
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64 = { Processes.wallNanos() }) {
        self.now = now
    }

    public func lookup(_ path: String, _ key: Key) -> String? {
        state.withLock { s in
            s.parsePending()
            guard let (k, d) = s.entries[path] else { return nil }
            if k == key { return d }
            s.entries[path] = nil
            s.dirty = true
            return nil
        }
    }

    public func store(_ path: String, _ key: Key, _ digest: String) {
        guard now() - key.ctime > Self.racyWindow else { return }
        state.withLock { s in
            s.parsePending()
            s.entries[path] = (key, digest)
            s.dirty = true
        }
    }

    public var count: Int { state.withLock { s in s.parsePending(); return s.entries.count } }

    /// True when entries were stored or dropped since the memo was made or loaded.
    public var isDirty: Bool { state.withLock { $0.dirty } }

    /// The memo as text, one `dev ino size mtime ctime mode uid gid digest path` line per file
    /// (paths with a newline are not kept).
    public func serialized() -> String {
        state.withLock { s in
            s.parsePending()
            return s.entries.sorted { $0.key < $1.key }.filter { !$0.key.contains("\n") }.map { path, v in
                let k = v.0
                return "\(k.device) \(k.inode) \(k.size) \(k.mtime) \(k.ctime) \(k.mode) \(k.uid) \(k.gid) \(v.1) \(path)"
            }.joined(separator: "\n")
        }
    }

    /// Loads what `serialized()` wrote (parsed when first needed; entries already in the memo
    /// win); malformed lines are skipped (it is only a shortcut).
    public func load(_ text: String) {
        state.withLock { s in
            s.parsePending()
            s.pending = text
        }
    }

    static func parse(_ text: String) -> [String: (Key, String)] {
        var loaded: [String: (Key, String)] = [:]
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let f = line.split(separator: UInt8(ascii: " "), maxSplits: 9, omittingEmptySubsequences: false)
            guard f.count == 10, let dev = UInt64(Substring(f[0])), let ino = UInt64(Substring(f[1])),
                  let size = Int64(Substring(f[2])), let mt = Int64(Substring(f[3])), let ct = Int64(Substring(f[4])),
                  let mode = UInt32(Substring(f[5])), let uid = UInt32(Substring(f[6])), let gid = UInt32(Substring(f[7])),
                  f[8].count == 64, !f[9].isEmpty else { continue }
            let key = Key(device: dev, inode: ino, size: size, mtime: mt, ctime: ct, mode: mode, uid: uid, gid: gid)
            loaded[String(Substring(f[9]))] = (key, String(Substring(f[8])))
        }
        return loaded
    }
}
