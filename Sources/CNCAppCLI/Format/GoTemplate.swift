import CNCCore
import Foundation

/// The part of Go's text/template that `--format` needs, shared by every command: field paths
/// (`{{.A.B}}`, `{{.}}`, `{{$}}`, `{{$v.A}}`), pipelines (`{{.Name | upper}}`), actions
/// `range` (with `$i, $e :=` / `$k, $v :=`), `if`/`else if`/`else`, `with`, `end`, trim
/// markers (`{{-`, `-}}`), Go's functions (`index`, `len`, `print(f/ln)`, `eq`..., `and`, `or`,
/// `not`; no `slice` yet) and docker's (`json`, `upper`, `lower`, `title`, `join`, `split`, `pad`,
/// `truncate`), text around them, `\t`/`\n` escapes, and a `table` prefix that adds a header.
public struct GoTemplate {
    public let text: String
    public let isTable: Bool
    /// Go's `missingkey=error`: a field a document does not have is an error, not
    /// `<no value>` (docker's `inspect` templates).
    public var missingKeyIsError = false

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
        var parser = Parser(text)
        let nodes = try parser.parse()
        var scope = Scope(root: json, strict: missingKeyIsError, source: text)
        var out = ""
        try scope.run(nodes, dot: json, into: &out)
        return out
    }

    /// Checks the template without data (as docker does before it lists anything).
    public func validate() throws {
        var parser = Parser(text)
        _ = try parser.parse()
    }

    /// The header row of a table format: field names in upper case ("ImageID" -> "IMAGE ID"),
    /// or the command's own column title for a field (`names`: "ID" -> "CONTAINER ID").
    public func header(_ names: [String: String] = [:]) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let action = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let field = action.split(separator: " ").last(where: { $0.hasPrefix(".") }) ?? Substring(action)
            let name = String(field.split(separator: ".").last ?? "")
            out += names[name] ?? Self.headerName(name)
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    static let knownHeaders = [
        "CreatedAt": "CREATED AT", "CreatedSince": "CREATED", "RunningFor": "CREATED", "Names": "NAMES",
        "CPUPerc": "CPU %", "MemPerc": "MEM %", "MemUsage": "MEM USAGE / LIMIT", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O",
        "PIDs": "PIDS", "TotalCount": "TOTAL", "Active": "ACTIVE", "Reclaimable": "RECLAIMABLE", "Mountpoint": "MOUNTPOINT",
    ]

    static func headerName(_ field: String) -> String {
        if let known = knownHeaders[field] { return known }
        var s = ""
        for (i, c) in field.enumerated() {
            if c.isUppercase && i > 0 { s += " " }
            s += String(c).uppercased()
        }
        return s == "I D" ? "IMAGE ID" : s.replacingOccurrences(of: "I D", with: "ID")
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

    /// A template error in Go's words, behind the "template parsing error" docker prints.
    static func error(_ message: String) -> CNCError {
        CNCError(.invalidArgument, "template parsing error: template: \(message)")
    }
}
