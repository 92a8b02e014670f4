import CNCCore

/// Turns YAML nodes into typed values, recording every problem (never stopping at the first)
/// and the merged tree it read, whose source map gives the position of any key path.
final class SpecReader {
    var diagnostics: [SpecDiagnostic] = []
    /// Where each key path was written (walks the merged tree on demand).
    var sourceMap = SourceMap(root: nil)
    /// Variables for `environment` entries without a value and for `environment:` configs.
    let variables: [String: String]
    /// Directory that relative paths in each file resolve against.
    let baseDirs: [String: String]
    let defaultBaseDir: String
    /// The load's decryptor and the secret values read so far (shared by parallel readers).
    var sealed = SealedInputs(decryptor: nil)
    /// The spec is for rootless cnc (SpecLoadOptions.rootless).
    var rootless = false

    init(variables: [String: String], baseDirs: [String: String], defaultBaseDir: String) {
        self.variables = variables
        self.baseDirs = baseDirs
        self.defaultBaseDir = defaultBaseDir
    }

    /// Normalized path -> the path the user wrote, where they differ (`ports[3]` of a
    /// `9000-9005:9000-9005` item is `ports[0]` in the file).
    var sourcePaths: [String: String] = [:]
    /// The env files services' `env_file:` read (absolute paths), recorded with a revision.
    var envFilesRead: Set<String> = []

    /// Scalars whose interpolation failed: already reported, so later checks stay quiet on them.
    var failedInterpolations: Set<SourceMark> = []

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    func error(_ node: YAMLNode, _ path: String, _ message: String) {
        if failedInterpolations.contains(node.mark) { return }
        diagnostics.append(SpecDiagnostic(node.mark, path, message))
    }

    func error(_ mark: SourceMark?, _ path: String, _ message: String) {
        diagnostics.append(SpecDiagnostic(mark, path, message))
    }

    func warn(_ mark: SourceMark?, _ path: String, _ message: String) {
        diagnostics.append(SpecDiagnostic(mark, path, message, severity: .warning))
    }

    /// The position of `path` in the spec, else of its nearest written parent.
    func mark(_ path: String) -> SourceMark? { sourceMap.mark(path) }

    // MARK: mappings

    /// A mapping's entries by key, with unknown keys reported (and the nearest valid one suggested).
    struct Fields {
        let path: String
        let node: YAMLNode
        /// Entries in document order; mappings are small, so a scan beats hashing here.
        var items: [YAMLPair] = []

        subscript(_ key: String) -> YAMLNode? {
            for item in items where item.key.scalar == key { return item.value }
            return nil
        }
        func has(_ key: String) -> Bool { self[key] != nil }
        func keyMark(_ key: String) -> SourceMark? { items.first { $0.key.scalar == key }?.key.mark }
        func path(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
    }

    /// The keys a mapping may hold: a list (for suggestions) and a set (for lookups).
    struct KeySet: ExpressibleByArrayLiteral {
        let list: [String]
        let set: Set<String>
        init(_ list: [String]) {
            self.list = list
            set = Set(list)
        }
        init(arrayLiteral elements: String...) { self.init(elements) }
    }

    func fields(_ node: YAMLNode, _ path: String, allowed: KeySet, what: String = "a mapping") -> Fields? {
        guard case .mapping(let pairs) = node.content else {
            error(node, path, "must be \(what), not \(node.kindDescription)")
            return nil
        }
        var f = Fields(path: path, node: node)
        f.items.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let key = pair.key.scalar else {
                error(pair.key, path, "keys must be strings, not \(pair.key.kindDescription)")
                continue
            }
            if !allowed.set.contains(key) {
                if key.hasPrefix("x-") { continue }
                error(pair.key, f.path(key), "unknown key\(Suggest.hint(key, in: allowed.list))")
                continue
            }
            f.items.append(pair)
        }
        return f
    }

    /// A mapping of user-chosen names (services, networks, ...) in document order.
    func entries(_ node: YAMLNode, _ path: String) -> [(String, YAMLNode, SourceMark)] {
        if node.isNull { return [] }
        guard case .mapping(let pairs) = node.content else {
            error(node, path, "must be a mapping, not \(node.kindDescription)")
            return []
        }
        var out: [(String, YAMLNode, SourceMark)] = []
        for pair in pairs {
            guard let key = pair.key.scalar else {
                error(pair.key, path, "keys must be strings, not \(pair.key.kindDescription)")
                continue
            }
            if key.hasPrefix("x-") { continue }
            out.append((key, pair.value, pair.key.mark))
        }
        return out
    }

    // MARK: scalars

    /// Any scalar as text (numbers and booleans as written); null is an error.
    func string(_ node: YAMLNode, _ path: @autoclosure () -> String, allowEmpty: Bool = true) -> String? {
        guard case .scalar(let s) = node.content, !node.isNull else {
            error(node, path(), "must be a string, not \(node.kindDescription)")
            return nil
        }
        if !allowEmpty, s.isEmpty {
            error(node, path(), "must not be empty")
            return nil
        }
        return s
    }

    func optionalString(_ f: Fields, _ key: String, allowEmpty: Bool = true) -> String? {
        guard let n = f[key], !n.isNull else { return nil }
        return string(n, f.path(key), allowEmpty: allowEmpty)
    }

    func int(_ node: YAMLNode, _ path: @autoclosure () -> String, min: Int64? = nil, max: Int64? = nil) -> Int64? {
        var value = node.int
        if value == nil, !node.isPlain, let s = node.scalar, let v = Int64(s.trimmingSpaces) { value = v }
        guard let v = value else {
            error(node, path(), "must be an integer, not \(node.kindDescription)")
            return nil
        }
        if let min, v < min {
            error(node, path(), min == 1 ? "must be greater than 0, not \(v)" : "must be at least \(min), not \(v)")
            return nil
        }
        if let max, v > max {
            error(node, path(), "must be at most \(max), not \(v)")
            return nil
        }
        return v
    }

    func bool(_ node: YAMLNode, _ path: @autoclosure () -> String) -> Bool? {
        if let b = node.bool { return b }
        if !node.isPlain, let s = node.scalar, s == "true" || s == "false" { return s == "true" }
        if let s = node.scalar, !node.isNull {
            error(node, path(), "\"\(s)\" is not a boolean (use true or false)")
        } else {
            error(node, path(), "must be a boolean (true or false), not \(node.kindDescription)")
        }
        return nil
    }

    func optionalBool(_ f: Fields, _ key: String) -> Bool? {
        guard let n = f[key], !n.isNull else { return nil }
        return bool(n, f.path(key))
    }

    func size(_ node: YAMLNode, _ path: @autoclosure () -> String) -> ByteSize? {
        if let i = node.int { return ByteSize(bytes: i) }
        guard let s = string(node, path()) else { return nil }
        do { return try ByteSize(parsing: s) } catch { self.error(node, path(), error.message) }
        return nil
    }

    func duration(_ node: YAMLNode, _ path: @autoclosure () -> String) -> CNCDuration? {
        if let i = node.int, i == 0 { return .zero }
        guard let s = string(node, path()) else { return nil }
        do { return try CNCDuration(parsing: s) } catch { self.error(node, path(), error.message) }
        return nil
    }

    func cpus(_ node: YAMLNode, _ path: @autoclosure () -> String) -> CPUQuantity? {
        guard let s = string(node, path()) else { return nil }
        if node.double == 0 || s == "0" {
            error(node, path(), "must be greater than 0 (omit it for no limit)")
            return nil
        }
        do { return try CPUQuantity(parsing: s) } catch { self.error(node, path(), error.message) }
        return nil
    }

    func choice<E: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: @autoclosure () -> String, _ type: E.Type, what: String) -> E?
    where E.RawValue == String {
        guard let s = string(node, path()) else { return nil }
        if let v = E(rawValue: s) { return v }
        let names = E.allCases.map(\.rawValue)
        error(node, path(), "\"\(s)\" is not \(what) (valid: \(names.joined(separator: ", ")))\(Suggest.hint(s, in: names))")
        return nil
    }

    // MARK: lists and maps

    /// A string or a list of strings, as Compose's `string_or_list`.
    func stringOrList(_ node: YAMLNode, _ path: String) -> [String]? {
        if case .scalar = node.content, let s = string(node, path) { return [s] }
        return stringList(node, path)
    }

    func stringList(_ node: YAMLNode, _ path: String) -> [String]? {
        markedStrings(node, path)?.map(\.0)
    }

    /// A list of strings with the position of each (not recorded in the source map: lists of
    /// arguments are many and rarely pointed at later).
    func markedStrings(_ node: YAMLNode, _ path: String) -> [(String, SourceMark)]? {
        guard case .sequence(let items) = node.content else {
            error(node, path, "must be a list of strings, not \(node.kindDescription)")
            return nil
        }
        var out: [(String, SourceMark)] = []
        out.reserveCapacity(items.count)
        var ok = true
        for (i, item) in items.enumerated() {
            if let s = string(item, "\(path)[\(i)]") { out.append((s, item.mark)) } else { ok = false }
        }
        return ok ? out : nil
    }

    /// Compose's `list_or_dict`: `{K: V}` or `["K=V", "K"]`. A value-less entry is nil.
    func listOrDict(_ node: YAMLNode, _ path: String, separator: Character = "=") -> [(String, String?, SourceMark)]? {
        switch node.content {
        case .mapping(let pairs):
            var out: [(String, String?, SourceMark)] = []
            for pair in pairs {
                guard let k = pair.key.scalar else {
                    error(pair.key, path, "keys must be strings, not \(pair.key.kindDescription)")
                    continue
                }
                let p = path + "." + k
                if pair.value.isNull { out.append((k, nil, pair.key.mark)); continue }
                guard case .scalar(let v) = pair.value.content else {
                    error(pair.value, p, "must be a string, number or boolean, not \(pair.value.kindDescription)")
                    continue
                }
                out.append((k, v, pair.key.mark))
            }
            return out
        case .sequence(let items):
            var out: [(String, String?, SourceMark)] = []
            for (i, item) in items.enumerated() {
                guard let s = string(item, "\(path)[\(i)]") else { continue }
                if let eq = s.firstIndex(of: separator) {
                    let k = String(s[..<eq])
                    out.append((k, String(s[s.index(after: eq)...]), item.mark))
                } else {
                    out.append((s, nil, item.mark))
                }
            }
            return out
        default:
            error(node, path, "must be a mapping or a list of \"KEY\(separator)VALUE\" strings, not \(node.kindDescription)")
            return nil
        }
    }

    /// A `list_or_dict` whose values must be present (labels, sysctls, driver_opts...).
    func stringMap(_ node: YAMLNode, _ path: String) -> [String: String] {
        guard let entries = listOrDict(node, path) else { return [:] }
        var out: [String: String] = [:]
        for (k, v, _) in entries {
            if k.isEmpty { error(node, path, "empty key"); continue }
            out[k] = v ?? ""
        }
        return out
    }

    // MARK: paths

    /// `path` made absolute against the directory of the file `node` came from; `~` is $HOME.
    func resolvePath(_ path: String, from node: YAMLNode) -> String {
        var p = path
        if p == "~" || p.hasPrefix("~/") { p = (variables["HOME"] ?? "/root") + p.dropFirst() }
        if !p.hasPrefix("/") {
            let base = baseDirs[node.mark.file] ?? defaultBaseDir
            p = base + "/" + p
        }
        return Self.cleanPath(p)
    }

    /// Lexically cleaned absolute path: no `.`, `..`, doubled or trailing slashes.
    static func cleanPath(_ p: String) -> String {
        // Most paths are clean already: absolute, no "//", no "." or ".." component, no trailing "/".
        let u = p.utf8
        if u.first == UInt8(ascii: "/"), u.count == 1 || u.last != UInt8(ascii: "/") {
            var prev: UInt8 = 0, clean = true
            var it = u.makeIterator()
            while let c = it.next() {
                if c == UInt8(ascii: "/"), prev == UInt8(ascii: "/") { clean = false; break }
                if c == UInt8(ascii: "."), prev == UInt8(ascii: "/") { clean = false; break }
                prev = c
            }
            if clean { return p }
        }
        var parts: [Substring] = []
        for c in p.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }
}

extension Error {
    /// The message of a CNCError (without wrapping), else the description.
    var message: String { (self as? CNCError)?.description ?? String(describing: self) }
}
