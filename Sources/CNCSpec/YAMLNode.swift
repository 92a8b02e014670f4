import Synchronization

/// Where a node of a spec came from: file, 1-based line and column. Trivially copyable (the
/// file name is interned), because every node of a large spec carries one.
public struct SourceMark: Hashable, Sendable, CustomStringConvertible {
    let fileID: Int32
    public let line: Int
    public let column: Int

    public init(file: String, line: Int, column: Int) {
        fileID = FileNames.shared.id(file)
        self.line = line
        self.column = column
    }

    init(fileID: Int32, line: Int, column: Int) {
        self.fileID = fileID
        self.line = line
        self.column = column
    }

    public var file: String { FileNames.shared.name(fileID) }

    public var description: String { "\(file):\(line):\(column)" }
}

/// The interned file names of SourceMark (a handful per process).
final class FileNames: Sendable {
    static let shared = FileNames()
    private struct State {
        var names: [String] = []
        var ids: [String: Int32] = [:]
    }
    private let state = Mutex(State())

    func id(_ name: String) -> Int32 {
        state.withLock { s in
            if let id = s.ids[name] { return id }
            let id = Int32(truncatingIfNeeded: s.names.count)
            s.names.append(name)
            s.ids[name] = id
            return id
        }
    }

    func name(_ id: Int32) -> String {
        state.withLock { s in Int(id) < s.names.count ? s.names[Int(id)] : "?" }
    }
}

/// One key/value entry of a YAML mapping, in document order.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
}

/// A YAML node with its position: what the spec reader walks. Aliases are already resolved
/// (sharing storage with their anchor) and `<<` merge keys already applied.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(String)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    public var mark: SourceMark
    /// True for plain (unquoted, untagged) scalars: only those resolve to null, bool or numbers.
    public var isPlain: Bool
    /// The number of nodes this one stands for once aliases are expanded (for the alias-bomb cap).
    public var expandedSize: Int

    public init(_ content: Content, mark: SourceMark, isPlain: Bool = true, expandedSize: Int = 1) {
        self.content = content
        self.mark = mark
        self.isPlain = isPlain
        self.expandedSize = expandedSize
    }

    /// The text of a scalar, else nil.
    public var scalar: String? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    /// True for `~`, `null`, an empty plain scalar.
    public var isNull: Bool {
        guard isPlain, case .scalar(let s) = content else { return false }
        return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }

    /// A plain `true`/`false` (YAML 1.2 core schema), else nil.
    public var bool: Bool? {
        guard isPlain, case .scalar(let s) = content else { return nil }
        switch s {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// A plain integer (decimal, 0x, 0o), else nil.
    public var int: Int64? {
        guard isPlain, case .scalar(let s) = content else { return nil }
        var t = Substring(s)
        var sign: Int64 = 1
        if t.hasPrefix("-") { sign = -1; t = t.dropFirst() } else if t.hasPrefix("+") { t = t.dropFirst() }
        if t.hasPrefix("0x"), let v = Int64(t.dropFirst(2), radix: 16) { return sign * v }
        if t.hasPrefix("0o"), let v = Int64(t.dropFirst(2), radix: 8) { return sign * v }
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int64(t) else { return nil }
        return sign * v
    }

    /// A plain number (integer or float), else nil.
    public var double: Double? {
        if let i = int { return Double(i) }
        guard isPlain, case .scalar(let s) = content, !s.isEmpty,
              s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-" || $0 == "+" || $0 == "e" || $0 == "E") }),
              let d = Double(s), d.isFinite
        else { return nil }
        return d
    }

    /// What kind of value this is, for error messages: "a mapping", "a list", "a string"...
    public var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s):
            if isNull { return "null" }
            if bool != nil { return "a boolean" }
            if int != nil || double != nil { return "a number" }
            return "the string \"\(s.count > 60 ? String(s.prefix(57)) + "..." : s)\""
        }
    }
}
