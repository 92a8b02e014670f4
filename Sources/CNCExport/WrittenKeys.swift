import CNCSpec

/// Which keys the spec writes, asked once per key the export may report: a service's keys come
/// from one walk of its subtree (a 500-service spec asks ~15,000 times), the rest from the map.
struct WrittenKeys {
    let map: SourceMap
    /// Service names: a name may hold dots, so the longest that prefixes a path wins.
    let names: Set<String>
    private var services: [String: Set<String>] = [:]

    init(_ map: SourceMap, services: some Sequence<String>) {
        self.map = map
        names = Set(services)
    }

    mutating func contains(_ path: String) -> Bool {
        let p = map.writtenPath(path)
        guard p.hasPrefix("services.") else { return map.contains(p) }
        let rest = p.dropFirst("services.".count)
        var name: String?
        for i in rest.indices.reversed() where rest[i] == "." || rest[i] == "[" {
            if names.contains(String(rest[..<i])) { name = String(rest[..<i]); break }
        }
        guard let name else { return map.contains(p) }
        if p.count == "services.".count + name.count { return map.contains(p) }
        if services[name] == nil { services[name] = map.writtenPaths("services", name) }
        return services[name]?.contains(p) ?? false
    }
}
