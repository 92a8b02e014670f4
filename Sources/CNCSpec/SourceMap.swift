/// Finds where a key path (`services.web.ports[0]`, `services.web.depends_on.db`) was written,
/// by walking the merged YAML tree on demand — nothing is recorded while reading, so a large
/// spec costs no extra memory or time until a position is actually asked for.
public struct SourceMap: Sendable {
    let root: YAMLNode?
    /// Normalized path -> the path as written, where they differ (a port range item expands
    /// into several ports; a skipped list item shifts the ones after it).
    var aliases: [String: String] = [:]

    init(root: YAMLNode?) { self.root = root }

    /// The position of `path` (a mapping entry points at its key, anything else at its value),
    /// else of the nearest enclosing node that exists.
    public func mark(_ path: String) -> SourceMark? {
        let p = aliases[path] ?? path
        guard let root else { return nil }
        return walk(root, Substring(p), exact: false)
    }

    /// True when `path` is written in the spec itself.
    public func contains(_ path: String) -> Bool {
        guard let root else { return false }
        return walk(root, Substring(aliases[path] ?? path), exact: true) != nil
    }

    /// The path as written for a normalized one (a port range's items, list items after a skipped one).
    public func writtenPath(_ path: String) -> String { aliases[path] ?? path }

    /// Every key path written under `section.name` (`services.web`): mapping keys, list indices,
    /// and list items by name (`depends_on.db`, `environment.A`), as `contains` finds them. One walk
    /// of that subtree, for callers that ask about many keys of one entry (export's losses).
    public func writtenPaths(_ section: String, _ name: String) -> Set<String> {
        guard let root, case .mapping(let top) = root.content,
              case .mapping(let entries)? = top.first(where: { $0.key.scalar == section })?.value.content,
              let entry = entries.first(where: { $0.key.scalar == name })?.value else { return [] }
        var out: Set<String> = []
        collect(entry, "\(section).\(name)", into: &out, depth: 0)
        return out
    }

    private func collect(_ node: YAMLNode, _ path: String, into out: inout Set<String>, depth: Int) {
        guard depth < 200 else { return }
        switch node.content {
        case .mapping(let pairs):
            for p in pairs {
                guard let k = p.key.scalar else { continue }
                out.insert(path + "." + k)
                collect(p.value, path + "." + k, into: &out, depth: depth + 1)
            }
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                out.insert("\(path)[\(i)]")
                collect(item, "\(path)[\(i)]", into: &out, depth: depth + 1)
                if let s = item.scalar, let end = s.firstIndex(where: { $0 == "=" || $0 == ":" }) ?? Optional(s.endIndex) {
                    out.insert(path + "." + s[..<end])
                }
            }
        case .scalar:
            break
        }
    }

    private func walk(_ node: YAMLNode, _ rest: Substring, exact: Bool) -> SourceMark? {
        var node = node
        var rest = rest
        var markHere = node.mark
        while !rest.isEmpty {
            if rest.hasPrefix(".") { rest = rest.dropFirst() }
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]"), let i = Int(rest[rest.index(after: rest.startIndex)..<close]),
                      case .sequence(let items) = node.content, i >= 0, i < items.count
                else { return exact ? nil : markHere }
                node = items[i]
                markHere = node.mark
                rest = rest[rest.index(after: close)...]
                continue
            }
            switch node.content {
            case .mapping(let pairs):
                // The longest key that prefixes the rest: keys may hold dots (labels, sysctls).
                var best: YAMLPair?
                var bestLen = -1
                for pair in pairs {
                    guard let k = pair.key.scalar, k.count > bestLen, rest.hasPrefix(k) else { continue }
                    let after = rest.dropFirst(k.count)
                    if after.isEmpty || after.hasPrefix(".") || after.hasPrefix("[") { best = pair; bestLen = k.count }
                }
                guard let pair = best else { return exact ? nil : markHere }
                rest = rest.dropFirst(bestLen)
                node = pair.value
                if case .mapping = pair.value.content { markHere = pair.key.mark } else if pair.value.isNull { markHere = pair.key.mark } else { markHere = pair.value.mark }
            case .sequence(let items):
                // A list of names standing for a mapping (depends_on: [db], environment: [A=1]).
                let end = rest.firstIndex(where: { $0 == "." || $0 == "[" }) ?? rest.endIndex
                let name = rest[..<end]
                guard let item = items.first(where: { item in
                    guard let s = item.scalar else { return false }
                    return s == name || s.hasPrefix(name + "=") || s.hasPrefix(name + ":")
                }) else { return exact ? nil : markHere }
                node = item
                markHere = item.mark
                rest = rest[end...]
            case .scalar:
                return exact ? nil : markHere
            }
        }
        return markHere
    }
}
