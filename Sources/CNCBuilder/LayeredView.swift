import CNCBuild
import CNCCore
import CNCSystem

/// An image's filesystem read from its unpacked layer directories (top-most first) without
/// mounting them: the top-most layer that has a path decides what it is; a whiteout (a
/// character device in an unpacked layer) hides it. Every read stays inside a layer
/// (RootedTree), and symlinks are followed within the image's root, never the host's.
final class LayeredView {
    let layers: [RootedTree]

    init(directories: [String]) throws {
        layers = try directories.map { try RootedTree(path: $0) }
    }

    /// The entry at `rel` (no symlink followed at the end) and the layer holding it.
    func lstat(_ rel: String) throws -> (entry: RootedTree.Entry, layer: RootedTree)? {
        for l in layers {
            guard let e = try l.lstat(rel) else { continue }
            if e.kind == .other { return nil }
            return (e, l)
        }
        return nil
    }

    /// `rel` with every symlink of its directories (and, with `last`, of itself) resolved
    /// inside the image; `..` never climbs above its root.
    func resolve(_ rel: String, last: Bool = true) throws -> String {
        try BuildContext.resolve(rel, followLast: last, display: "/" + rel) { candidate in
            guard let (e, layer) = try lstat(candidate) else { return .missing }
            return e.kind == .symlink ? .link(try layer.readLink(candidate)) : .plain
        }
    }

    /// What `rel` selects, merged over the layers: the entry itself and, for a directory, what
    /// is below it (an upper layer's entry wins; whiteouts hide lower ones), sorted by path.
    func select(_ rel: String) throws -> [(relative: String, entry: RootedTree.Entry, layer: RootedTree, link: String?)] {
        guard let (top, topLayer) = try lstat(rel) else { return [] }
        func link(_ l: RootedTree, _ p: String, _ e: RootedTree.Entry) throws -> String? { e.kind == .symlink ? try l.readLink(p) : nil }
        guard top.kind == .directory else { return [("", top, topLayer, try link(topLayer, rel, top))] }
        var seen: [String: (RootedTree.Entry, RootedTree, String?)] = ["": (top, topLayer, nil)]
        var hidden: Set<String> = []
        for l in layers {
            guard let e = try l.lstat(rel) else { continue }
            guard e.kind == .directory else { break }
            var stack = [""]
            while let dir = stack.popLast() {
                let full = dir.isEmpty ? rel : (rel.isEmpty ? dir : rel + "/" + dir)
                for child in try l.list(full) {
                    let r = dir.isEmpty ? child.name : dir + "/" + child.name
                    if hidden.contains(r) || hidden.contains(where: { r.hasPrefix($0 + "/") }) { continue }
                    if child.kind == .other { hidden.insert(r); continue }
                    if seen[r] == nil { seen[r] = (child, l, try link(l, rel.isEmpty ? r : rel + "/" + r, child)) }
                    if child.kind == .directory { stack.append(r) }
                }
            }
            if FileSystem.isOpaqueDirectory(l.path + "/" + rel) { break }
        }
        return seen.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value.0, $0.value.1, $0.value.2) }
    }

    /// The whole text of a small file (/etc/passwd), if the image has one.
    func readText(_ rel: String) -> String? {
        guard let r = try? resolve(rel), let (e, l) = try? lstat(r), e.kind == .regular, e.size < 16 << 20 else { return nil }
        var bytes: [UInt8] = []
        guard (try? l.read(r, expect: e) { bytes += $0 }) != nil else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
