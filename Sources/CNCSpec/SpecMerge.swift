/// Compose's override rules for several `-f` files, applied to YAML trees before typing:
/// mappings merge key by key, scalars replace, and service sequences merge by their key
/// (ports by mapping, volumes by target, configs/secrets by source; environment, labels and
/// similar list-or-dict fields merge as dictionaries; command/entrypoint replace).
enum SpecMerge {
    static let dictLike: Set<String> = ["environment", "labels", "sysctls", "extra_hosts", "ulimits", "networks", "depends_on", "args", "driver_opts", "options"]
    static let replaced: Set<String> = ["command", "entrypoint", "test"]

    static func mergeDocuments(_ base: YAMLNode, _ over: YAMLNode) -> YAMLNode {
        guard case .mapping(let bp) = base.content, case .mapping(let op) = over.content else { return over }
        var pairs = bp
        for o in op {
            guard let key = o.key.scalar else { continue }
            if let i = pairs.firstIndex(where: { $0.key.scalar == key }) {
                switch key {
                case "services":
                    pairs[i].value = mergeEntries(pairs[i].value, o.value, service: true)
                case "networks", "volumes", "configs", "secrets":
                    pairs[i].value = mergeEntries(pairs[i].value, o.value, service: false)
                default:
                    pairs[i].value = deepMerge(pairs[i].value, o.value, key: key)
                }
            } else {
                pairs.append(o)
            }
        }
        return YAMLNode(.mapping(pairs), mark: base.mark, isPlain: base.isPlain, expandedSize: base.expandedSize + over.expandedSize)
    }

    /// Merges two `name: definition` mappings (services or top-level resources).
    private static func mergeEntries(_ base: YAMLNode, _ over: YAMLNode, service: Bool) -> YAMLNode {
        guard case .mapping(let bp) = base.content, case .mapping(let op) = over.content else { return over }
        var pairs = bp
        for o in op {
            if let i = pairs.firstIndex(where: { $0.key.scalar == o.key.scalar && o.key.scalar != nil }) {
                pairs[i].value = service ? mergeService(pairs[i].value, o.value) : deepMerge(pairs[i].value, o.value, key: "")
            } else {
                pairs.append(o)
            }
        }
        return YAMLNode(.mapping(pairs), mark: base.mark, expandedSize: base.expandedSize + over.expandedSize)
    }

    private static func mergeService(_ base: YAMLNode, _ over: YAMLNode) -> YAMLNode {
        guard case .mapping(let bp) = base.content, case .mapping(let op) = over.content else { return over }
        var pairs = bp
        for o in op {
            guard let key = o.key.scalar else { continue }
            guard let i = pairs.firstIndex(where: { $0.key.scalar == key }) else {
                pairs.append(o)
                continue
            }
            let b = pairs[i].value
            switch key {
            case "ports": pairs[i].value = mergeSequence(b, o.value) { $0.scalar ?? canonicalKey($0) }
            case "volumes": pairs[i].value = mergeSequence(b, o.value, keyOf: volumeTarget)
            case "configs", "secrets": pairs[i].value = mergeSequence(b, o.value, keyOf: sourceName)
            default: pairs[i].value = deepMerge(b, o.value, key: key)
            }
        }
        return YAMLNode(.mapping(pairs), mark: base.mark, expandedSize: base.expandedSize + over.expandedSize)
    }

    /// Generic rule: mappings merge recursively, dict-like lists merge as dictionaries,
    /// other sequences append (without duplicates), scalars replace.
    static func deepMerge(_ base: YAMLNode, _ over: YAMLNode, key: String) -> YAMLNode {
        if replaced.contains(key) { return over }
        if dictLike.contains(key) {
            let b = asMapping(base), o = asMapping(over)
            if case .mapping = b.content, case .mapping = o.content { return mergeMappings(b, o) }
            return over
        }
        switch (base.content, over.content) {
        case (.mapping, .mapping): return mergeMappings(base, over)
        case (.sequence, .sequence): return mergeSequence(base, over) { $0.scalar ?? canonicalKey($0) }
        default: return over
        }
    }

    private static func mergeMappings(_ base: YAMLNode, _ over: YAMLNode) -> YAMLNode {
        guard case .mapping(let bp) = base.content, case .mapping(let op) = over.content else { return over }
        var pairs = bp
        for o in op {
            if let i = pairs.firstIndex(where: { $0.key.scalar == o.key.scalar && o.key.scalar != nil }) {
                pairs[i].value = deepMerge(pairs[i].value, o.value, key: o.key.scalar ?? "")
            } else {
                pairs.append(o)
            }
        }
        return YAMLNode(.mapping(pairs), mark: base.mark, expandedSize: base.expandedSize + over.expandedSize)
    }

    /// Items of `over` replace items of `base` with the same key; new ones append.
    private static func mergeSequence(_ base: YAMLNode, _ over: YAMLNode, keyOf: (YAMLNode) -> String) -> YAMLNode {
        guard case .sequence(let bi) = base.content, case .sequence(let oi) = over.content else { return over }
        var items = bi
        var index: [String: Int] = [:]
        for (i, item) in items.enumerated() { index[keyOf(item)] = i }
        for item in oi {
            let k = keyOf(item)
            if let i = index[k] { items[i] = item } else {
                index[k] = items.count
                items.append(item)
            }
        }
        return YAMLNode(.sequence(items), mark: base.mark, expandedSize: base.expandedSize + over.expandedSize)
    }

    /// `["A=1", "B"]` as `{A: "1", B: null}`; a mapping stays as it is.
    private static func asMapping(_ node: YAMLNode) -> YAMLNode {
        guard case .sequence(let items) = node.content else { return node }
        var pairs: [YAMLPair] = []
        for item in items {
            guard let s = item.scalar else { return node }
            let sep = s.firstIndex(of: "=")
            let k = sep.map { String(s[..<$0]) } ?? s
            let v = sep.map { String(s[s.index(after: $0)...]) }
            let keyNode = YAMLNode(.scalar(k), mark: item.mark, isPlain: false)
            let valueNode = v.map { YAMLNode(.scalar($0), mark: item.mark, isPlain: false) } ?? YAMLNode(.scalar(""), mark: item.mark)
            pairs.removeAll { $0.key.scalar == k }
            pairs.append(YAMLPair(key: keyNode, value: valueNode))
        }
        return YAMLNode(.mapping(pairs), mark: node.mark, expandedSize: node.expandedSize)
    }

    private static func volumeTarget(_ node: YAMLNode) -> String {
        if let s = node.scalar {
            let parts = s.split(separator: ":")
            return parts.count >= 2 ? String(parts[1]) : s
        }
        if case .mapping(let pairs) = node.content, let t = pairs.first(where: { $0.key.scalar == "target" })?.value.scalar { return t }
        return canonicalKey(node)
    }

    private static func sourceName(_ node: YAMLNode) -> String {
        if let s = node.scalar { return s }
        if case .mapping(let pairs) = node.content, let t = pairs.first(where: { $0.key.scalar == "source" })?.value.scalar { return t }
        return canonicalKey(node)
    }

    /// A structural key for items without a natural one.
    static func canonicalKey(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar(let s): return "s:" + s
        case .sequence(let items): return "[" + items.map(canonicalKey).joined(separator: ",") + "]"
        case .mapping(let pairs):
            return "{" + pairs.map { ($0.key.scalar ?? "?") + "=" + canonicalKey($0.value) }.sorted().joined(separator: ",") + "}"
        }
    }
}
