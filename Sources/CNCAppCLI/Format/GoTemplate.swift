import CNCCore
import Foundation

/// The subset of Go templates that `--format` needs, shared by every command: `{{.A.B}}` field
/// paths, `{{json .X}}` (and `{{json .}}`), `{{upper .X}}`/`{{lower .X}}`, `{{index .Map "key"}}`,
/// text around them, `\t`/`\n` escapes, and a `table` prefix that adds a header row.
public struct GoTemplate {
    public let text: String
    public let isTable: Bool

    public init(_ format: String) {
        var t = format
        isTable = t.hasPrefix("table")
        if isTable { t = String(t.dropFirst(5)).trimmingCharacters(in: .whitespaces) }
        text = t.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
    }

    /// Renders `template` over a JSON document.
    public static func render(_ template: String, _ value: JSONValue) throws -> String {
        try GoTemplate(template).render(json: value)
    }

    /// Renders `value` (any Encodable, seen as its JSON).
    public func render<T: Encodable>(_ value: T) throws -> String {
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(try CanonicalJSON.encode(value)))
        return try render(json: json)
    }

    public func render(json: JSONValue) throws -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw CNCError(.invalidArgument, "template parsing error: unclosed action in \"\(text)\"")
            }
            out += try Self.action(String(rest[open.upperBound..<close.lowerBound]).trimmingSpaces, json)
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// The header row of a table format: field names in upper case ("ImageID" -> "IMAGE ID").
    public func header() -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += Self.headerName(String(action.split(separator: ".").last ?? ""))
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static func headerName(_ field: String) -> String {
        var s = ""
        for (i, c) in field.enumerated() {
            if c.isUppercase && i > 0 { s += " " }
            s += String(c).uppercased()
        }
        return s == "I D" ? "IMAGE ID" : s.replacingOccurrences(of: "I D", with: "ID")
    }

    static func action(_ text: String, _ root: JSONValue) throws -> String {
        let words = splitWords(text)
        guard let first = words.first else { return "" }
        switch first {
        case "json":
            guard words.count == 2 else { throw CNCError(.invalidArgument, "template: json takes one argument") }
            return String(decoding: try CanonicalJSON.encode(try lookup(words[1], root)), as: UTF8.self)
        case "upper": return words.count == 2 ? plain(try lookup(words[1], root)).uppercased() : ""
        case "lower": return words.count == 2 ? plain(try lookup(words[1], root)).lowercased() : ""
        case "index":
            guard words.count == 3 else { throw CNCError(.invalidArgument, "template: index takes a map and a key") }
            let key = words[2].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            if case .object(let o) = try lookup(words[1], root) { return o[key].map(plain) ?? "<no value>" }
            return "<no value>"
        default:
            return plain(try lookup(first, root))
        }
    }

    static func splitWords(_ s: String) -> [String] {
        var words: [String] = []
        var cur = ""
        var quoted = false
        for ch in s {
            if ch == "\"" { quoted.toggle(); cur.append(ch); continue }
            if ch == " " && !quoted { if !cur.isEmpty { words.append(cur); cur = "" }; continue }
            cur.append(ch)
        }
        if !cur.isEmpty { words.append(cur) }
        return words
    }

    /// Follows `.A.B` from the root; field names match exactly, else case-insensitively.
    static func lookup(_ path: String, _ root: JSONValue) throws -> JSONValue {
        guard path.hasPrefix(".") else { throw CNCError(.invalidArgument, "template: function \"\(path)\" not defined") }
        var v = root
        for part in path.split(separator: ".") {
            let key = String(part)
            guard case .object(let o) = v,
                  let next = o[key] ?? o.first(where: { $0.key.lowercased() == key.lowercased() })?.value else {
                throw CNCError(.invalidArgument, "template: can't evaluate field \(part)")
            }
            v = next
        }
        return v
    }

    /// Go's default printing: strings bare, maps as map[k:v], lists as [a b].
    public static func plain(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(plain).joined(separator: " ") + "]"
        case .object(let o): return "map[" + o.keys.sorted().map { "\($0):\(plain(o[$0] ?? .null))" }.joined(separator: " ") + "]"
        }
    }
}
