import CNCCore
import Foundation

/// The subset of Go templates `--format` needs: `{{.Field}}`, `{{.A.B}}`, `{{json .}}`,
/// `{{json .Field}}`, a `table` prefix (adds a header row) and `\t`/`\n` escapes.
struct GoTemplate {
    let text: String
    let isTable: Bool

    init(_ format: String) {
        var t = format
        isTable = t.hasPrefix("table")
        if isTable { t = String(t.dropFirst(5)).trimmingCharacters(in: .whitespaces) }
        text = t.replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\n", with: "\n")
    }

    /// Renders `value` (any Encodable, seen as JSON).
    func render<T: Encodable>(_ value: T) throws -> String {
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(try CanonicalJSON.encode(value)))
        return try render(json: json)
    }

    func render(json: JSONValue) throws -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw CNCError(.invalidArgument, "invalid --format template \"\(text)\": unclosed {{")
            }
            let action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += try evaluate(action, json)
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// The header row of a table format: field names in upper case.
    func header() -> String {
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

    private func evaluate(_ action: String, _ root: JSONValue) throws -> String {
        var words = action.split(separator: " ").map(String.init)
        var asJSON = false
        if words.first == "json" { asJSON = true; words.removeFirst() }
        guard words.count == 1, let path = words.first, path.hasPrefix(".") else {
            throw CNCError(.invalidArgument, "unsupported --format action \"{{\(action)}}\" (supported: {{.Field}}, {{json .Field}})")
        }
        var v = root
        for key in path.dropFirst().split(separator: ".") {
            guard case .object(let o) = v else { v = .null; break }
            v = o[String(key)] ?? o.first { $0.key.lowercased() == key.lowercased() }?.value ?? .null
        }
        if asJSON { return try CanonicalJSON.string(v) }
        return Self.plain(v)
    }

    /// Go's default printing: strings bare, lists as [a b], maps as map[k:v].
    static func plain(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<no value>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(plain).joined(separator: " ") + "]"
        case .object(let o): return "map[" + o.keys.sorted().map { "\($0):\(plain(o[$0] ?? .null))" }.joined(separator: " ") + "]"
        }
    }
}
