import CNCCore
import CNCImage
import CNCSystem

/// Writes a COPY/ADD layer: a tar in the build's scratch directory with each entry's parents
/// (those the image lacks 0755, those it has with their own metadata), then stored and unpacked
/// as the step's layer.
final class LayerTarWriter {
    let tmp: FileStream
    let tar: TarWriter
    let view: LayeredView
    let owner: Ownership?
    private var written: Set<String> = []
    private var count = 0

    init(scratch: String, view: LayeredView, owner: Ownership?) throws {
        tmp = try FileStream.createTemporary(in: scratch, prefix: "copy-")
        do { tar = try TarWriter(to: tmp) } catch {
            tmp.close()
            try? FileSystem.remove(tmp.path)
            throw error
        }
        self.view = view
        self.owner = owner
    }

    private func parents(_ name: String) throws {
        var prefix = ""
        for part in name.split(separator: "/").dropLast() {
            prefix = BuildPath.join(prefix, String(part))
            if written.contains(prefix) { continue }
            written.insert(prefix)
            if let (e, _) = try view.lstat(prefix) {
                if e.kind == .symlink { continue }
                if e.kind == .directory {
                    // An existing parent goes in with the image's own metadata (as BuildKit's
                    // diffs): a layer without it would unpack the directory as 0755, and overlay
                    // shows the top layer's directory — `COPY a /tmp/` would make /tmp 0755.
                    try tar.addEntry(prefix, type: 0o040000, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtimeNanos)
                    count += 1
                    continue
                }
            }
            try tar.addEntry(prefix, type: 0o040000, mode: 0o755, uid: owner?.uid ?? 0, gid: owner?.gid ?? 0, mtime: 0)
            count += 1
        }
    }

    func entry(_ name: String, _ e: RootedTree.Entry, tree: RootedTree, source: String, link: String?) throws {
        try parents(name)
        if e.kind == .directory, written.contains(name) { return }
        written.insert(name)
        count += 1
        switch e.kind {
        case .directory:
            try tar.addEntry(name, type: 0o040000, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtimeNanos)
        case .symlink:
            try tar.addEntry(name, type: 0o120000, mode: 0o777, uid: e.uid, gid: e.gid, mtime: e.mtimeNanos, link: link ?? "")
        case .regular:
            try tar.addEntry(name, type: 0o100000, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtimeNanos, size: e.size) { write in
                try tree.read(source, expect: e, write)
            }
        case .other:
            count -= 1  // sockets, fifos, devices: not copied
        }
    }

    func file(_ name: String, bytes: [UInt8], mode: UInt32) throws {
        try parents(name)
        written.insert(name)
        count += 1
        try tar.addEntry(name, type: 0o100000, mode: mode, uid: owner?.uid ?? 0, gid: owner?.gid ?? 0, mtime: 0, size: Int64(bytes.count)) { write in
            try bytes.withUnsafeBytes { try write($0) }
        }
    }

    /// ADD of a local archive: unpacked by the hardened layer unpacker (nothing may leave its
    /// root), then its entries go under `dest`.
    func extract(_ tree: RootedTree, _ rel: String, _ e: RootedTree.Entry, into dest: String, scratch: String) throws {
        let staged = try FileStream.createTemporary(in: scratch, prefix: "add-")
        let dir = try FileStream.createTemporaryDirectory(in: scratch, prefix: "add-")
        defer {
            staged.close()
            try? FileSystem.remove(staged.path)
            try? FileSystem.removeTree(dir)
        }
        try tree.read(rel, expect: e) { try staged.write($0) }
        staged.close()
        let source = try FileStream.openForReading(staged.path)
        defer { source.close() }
        _ = try LayerUnpacker.unpack(from: source, into: dir, layer: rel)
        let archiver = try TreeArchiver(tar)
        if !dest.isEmpty { try parents(dest + "/x") }
        var stack = [""]
        while let sub = stack.popLast() {
            let names = try FileSystem.listDirectory(sub.isEmpty ? dir : dir + "/" + sub).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for n in names.reversed() {
                let r = BuildPath.join(sub, n)
                guard let info = FileSystem.entryInfo(dir + "/" + r) else { continue }
                let name = BuildPath.join(dest, r)
                written.insert(name)
                count += 1
                try archiver.add(dir + "/" + r, as: name)
                if info.kind == .directory { stack.append(r) }
            }
        }
    }

    /// Stores the layer (nil when nothing was written).
    func finish(store: ImageStore, parentDiffIDs: [CNCCore.Digest]) throws -> BuiltLayer? {
        try tar.finish()
        tmp.close()
        guard count > 0 else {
            try? FileSystem.remove(tmp.path)
            return nil
        }
        do { return try store.adoptBuiltLayer(tarPath: tmp.path, parentDiffIDs: parentDiffIDs).layer } catch {
            try? FileSystem.remove(tmp.path)
            throw error
        }
    }

    func abandon() {
        try? tar.finish()
        tmp.close()
        try? FileSystem.remove(tmp.path)
    }
}

/// Whether a context file is an archive ADD extracts: tar, or gzip/bzip2/xz/zstd data.
enum ArchiveProbe {
    struct Enough: Error {}

    static func isArchive(_ tree: RootedTree, _ rel: String, _ e: RootedTree.Entry) throws -> Bool {
        var head: [UInt8] = []
        do {
            try tree.read(rel, expect: e) { buf in
                head += buf.prefix(512 - head.count)
                if head.count >= 512 { throw Enough() }
            }
        } catch is Enough {}
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head.prefix(magic.count)) == magic }
        if starts([0x1F, 0x8B]) || starts([0x42, 0x5A, 0x68]) || starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) || starts([0x28, 0xB5, 0x2F, 0xFD]) {
            return true
        }
        return head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8)
    }
}
