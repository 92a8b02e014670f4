import CNCCore
import CNCSystem

/// A build context read in place, never copied: the files a COPY/ADD source selects, resolved
/// inside the context (a RootedTree: `../` is clamped at its root and symlinks — relative or
/// absolute — resolve inside it, so no host file outside can be selected), with `.dockerignore`
/// applied. A source's own symlinks are followed (inside the root), as BuildKit does; symlinks
/// found while walking a directory are kept as links, never followed.
public final class BuildContext: @unchecked Sendable {
    // @unchecked: immutable after init; RootedTree only reads.
    public let tree: RootedTree
    public let ignore: DockerIgnore

    /// Symlinks followed while resolving one source (Linux's MAXSYMLINKS).
    static let maxLinks = 40

    public init(root: String, ignore: DockerIgnore = DockerIgnore(patterns: [])) throws {
        tree = try RootedTree(path: root)
        self.ignore = ignore
    }

    /// One entry of a selection.
    public struct File: Sendable, Equatable {
        /// Path in the context (slash-separated, no leading slash).
        public var path: String
        /// Path relative to the selected source (what the copy lays out under its destination;
        /// "" for the source itself).
        public var relative: String
        public var entry: RootedTree.Entry
        public var linkTarget: String?
    }

    /// What one source (or each match of a wildcard source) selects.
    public struct Selection: Sendable, Equatable {
        public var source: String
        /// The resolved path of the selected root in the context.
        public var path: String
        public var files: [File]
        public var isDirectory: Bool { files.first?.entry.kind == .directory }
    }

    /// The selections of a COPY's sources, in order; a source that selects nothing is an error
    /// that names it (`"/missing": not found`).
    public func select(_ sources: [String]) throws -> [Selection] {
        var out: [Selection] = []
        for source in sources {
            let found = try select(source)
            guard !found.isEmpty else { throw CNCError(.notFound, "\"/\(Self.normalize(source))\": not found") }
            out += found
        }
        return out
    }

    /// One source: a path or a wildcard pattern (`*`, `?`, `[...]`, matched per path component).
    public func select(_ source: String) throws -> [Selection] {
        let clean = Self.normalize(source)
        let roots = Self.hasWildcard(clean) ? try expandWildcards(clean) : [clean]
        var out: [Selection] = []
        for root in roots {
            let resolved = try resolve(root)
            guard let entry = try tree.lstat(resolved), !ignore.excludes(resolved) || entry.kind == .directory else { continue }
            if resolved.isEmpty || !ignore.excludes(resolved) || ignore.mayReinclude(under: resolved) {
                let files = try walk(resolved, entry: entry)
                if !files.isEmpty { out.append(Selection(source: source, path: resolved, files: files)) }
            }
        }
        return out
    }

    /// `/a/../b/./c` -> `b/c`; `..` never climbs above the root.
    public static func normalize(_ source: String) -> String {
        var out: [Substring] = []
        for part in source.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = out.popLast(); continue }
            out.append(part)
        }
        return out.joined(separator: "/")
    }

    public static func hasWildcard(_ s: String) -> Bool { s.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    /// Resolves every symlink of `rel` inside the root (each component, the last one too).
    public func resolve(_ rel: String) throws -> String {
        try Self.resolve(rel, followLast: true, display: "\(tree.path)/\(rel)") { candidate in
            guard let e = try tree.lstat(candidate) else { return .missing }
            return e.kind == .symlink ? .link(try tree.readLink(candidate)) : .plain
        }
    }

    /// What a path component is, for `resolve`.
    public enum Component { case missing, plain, link(String) }

    /// Resolves the symlinks of `rel` inside a root whose entries `lookup` describes: `..` never
    /// climbs above it, an absolute link target starts again at it; at most `maxLinks` links.
    /// A missing component ends the walk (the rest is kept as written).
    public static func resolve(_ rel: String, followLast: Bool, display: String, lookup: (String) throws -> Component) throws -> String {
        var pending = rel.split(separator: "/").map(String.init).reversed() as [String]
        var resolved: [String] = []
        var links = 0
        while let c = pending.popLast() {
            if c.isEmpty || c == "." { continue }
            if c == ".." { _ = resolved.popLast(); continue }
            let candidate = (resolved + [c]).joined(separator: "/")
            let kind = try lookup(candidate)
            if case .missing = kind { return (resolved + [c] + pending.reversed()).joined(separator: "/") }
            guard case .link(let target) = kind, followLast || !pending.isEmpty else { resolved.append(c); continue }
            links += 1
            guard links <= maxLinks else { throw SystemError.make("resolve", errno: 40, path: display) }
            if target.hasPrefix("/") { resolved = [] }
            pending += target.split(separator: "/").map(String.init).reversed()
        }
        return resolved.joined(separator: "/")
    }

    /// The context paths a wildcard source matches, sorted (each component matched in its
    /// directory: `*` never crosses a `/`).
    func expandWildcards(_ pattern: String) throws -> [String] {
        var current = [""]
        for component in pattern.split(separator: "/").map(String.init) {
            var next: [String] = []
            for dir in current {
                let base = try resolve(dir)
                guard let e = try tree.lstat(base), e.kind == .directory else { continue }
                if Self.hasWildcard(component) {
                    let glob = PathGlob(component)
                    for child in try tree.list(base) where glob.matches(child.name) {
                        next.append(dir.isEmpty ? child.name : dir + "/" + child.name)
                    }
                } else {
                    next.append(dir.isEmpty ? component : dir + "/" + component)
                }
            }
            current = next
        }
        return current.sorted()
    }

    /// The source entry and, for a directory, everything under it that .dockerignore keeps,
    /// sorted by path (an explicit stack: deep trees cannot exhaust the call stack).
    func walk(_ root: String, entry: RootedTree.Entry) throws -> [File] {
        var files: [File] = []
        func link(_ path: String, _ e: RootedTree.Entry) throws -> String? { e.kind == .symlink ? try tree.readLink(path) : nil }
        if entry.kind != .directory {
            return [File(path: root, relative: "", entry: entry, linkTarget: try link(root, entry))]
        }
        if root.isEmpty || !ignore.excludes(root) { files.append(File(path: root, relative: "", entry: entry, linkTarget: nil)) }
        var stack = [(root, "")]
        while let (dir, rel) = stack.popLast() {
            for child in try tree.list(dir) {
                let path = dir.isEmpty ? child.name : dir + "/" + child.name
                let relative = rel.isEmpty ? child.name : rel + "/" + child.name
                if ignore.excludes(path) {
                    if child.kind == .directory, ignore.mayReinclude(under: path) { stack.append((path, relative)) }
                    continue
                }
                files.append(File(path: path, relative: relative, entry: child, linkTarget: try link(path, child)))
                if child.kind == .directory { stack.append((path, relative)) }
            }
        }
        return files.sorted { $0.relative.utf8.lexicographicallyPrecedes($1.relative.utf8) }
    }
}
