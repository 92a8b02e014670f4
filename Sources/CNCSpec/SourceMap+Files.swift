extension SourceMap {
    /// Every file the spec was read from (the -f files and everything they include), for
    /// `cncapply --watch`.
    public var files: Set<String> {
        // Collect interned ids first: resolving a name takes the file table's lock.
        var ids: Set<Int32> = []
        var stack: [YAMLNode] = root.map { [$0] } ?? []
        while let node = stack.popLast() {
            ids.insert(node.mark.fileID)
            switch node.content {
            case .scalar: break
            case .sequence(let items): stack += items
            case .mapping(let pairs): for p in pairs { stack.append(p.key); stack.append(p.value) }
            }
        }
        return Set(ids.map { FileNames.shared.name($0) })
    }
}
