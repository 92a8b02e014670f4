/// Applies interpolation to every scalar value of a document (keys stay as written; `x-`
/// extension sections other than x-cnc are left alone since cnc ignores them). Unchanged
/// subtrees are kept as they are (shared storage, no copies).
enum Interpolation {
    static func apply(_ node: YAMLNode, _ interp: Interpolator, diags: inout [SpecDiagnostic]) -> YAMLNode {
        var keys: [PathPiece] = []
        return rewrite(node, interp, &diags, &keys) ?? node
    }

    /// The interpolated node, or nil when nothing in it changed.
    private static func rewrite(_ node: YAMLNode, _ interp: Interpolator, _ diags: inout [SpecDiagnostic], _ keys: inout [PathPiece]) -> YAMLNode? {
        switch node.content {
        case .scalar(let s):
            guard s.utf8.contains(UInt8(ascii: "$")) else { return nil }
            do {
                let out = try interp.interpolate(s)
                if out == s { return nil }
                var n = node
                n.content = .scalar(out)
                return n
            } catch {
                var d = SpecDiagnostic(node.mark, path(keys), error.message)
                d.isInterpolationFailure = true
                diags.append(d)
                return nil
            }
        case .sequence(let items):
            var changed: [YAMLNode]?
            for (i, item) in items.enumerated() {
                keys.append(.index(i))
                if let n = rewrite(item, interp, &diags, &keys) {
                    if changed == nil { changed = items }
                    changed?[i] = n
                }
                keys.removeLast()
            }
            guard let changed else { return nil }
            var n = node
            n.content = .sequence(changed)
            return n
        case .mapping(let pairs):
            var changed: [YAMLPair]?
            for (i, pair) in pairs.enumerated() {
                let k = pair.key.scalar ?? "?"
                if keys.isEmpty, k.hasPrefix("x-"), k != "x-cnc" { continue }
                keys.append(.key(k))
                if let v = rewrite(pair.value, interp, &diags, &keys) {
                    if changed == nil { changed = pairs }
                    changed?[i].value = v
                }
                keys.removeLast()
            }
            guard let changed else { return nil }
            var n = node
            n.content = .mapping(changed)
            return n
        }
    }

    enum PathPiece {
        case key(String)
        case index(Int)
    }

    /// `services.web.ports[0]` from the key stack.
    private static func path(_ keys: [PathPiece]) -> String {
        var p = ""
        for k in keys {
            switch k {
            case .index(let i): p += "[\(i)]"
            case .key(let k): p += p.isEmpty ? k : "." + k
            }
        }
        return p
    }
}
