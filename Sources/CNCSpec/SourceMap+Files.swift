extension SourceMap {
    /// Every file the spec was read from (the -f files and everything they include), for
    /// `cncapply --watch`.
    public var files: Set<String> {
        var out: Set<String> = []
        var stack: [YAMLNode] = root.map { [$0] } ?? []
        while let node = stack.popLast() {
            out.insert(node.mark.file)
            switch node.content {
            case .scalar: break
            case .sequence(let items): stack += items
            case .mapping(let pairs): for p in pairs { stack.append(p.key); stack.append(p.value) }
            }
        }
        return out
    }
}
