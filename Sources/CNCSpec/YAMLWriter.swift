import CNCCore
import Foundation

/// Writes a JSON tree as block-style YAML with sorted keys: the `-o yaml` form of a normalized
/// spec. Byte-stable like CanonicalJSON; strings that could read as anything but a string are
/// double-quoted (JSON escapes are valid YAML), so YAML 1.1 and 1.2 readers agree on it.
public struct YAMLWriter {
    /// Write `$` in values as `$$`, so the output, read as a spec, interpolates back to itself.
    public var escapeDollars: Bool

    public init(escapeDollars: Bool = false) { self.escapeDollars = escapeDollars }

    public static func string(_ value: JSONValue) -> String { YAMLWriter().string(value) }

    public func string(_ value: JSONValue) -> String {
        var out = ""
        switch value {
        case .object(let o) where !o.isEmpty: writeObject(o, indent: 0, into: &out)
        case .array(let a) where !a.isEmpty: writeArray(a, indent: 0, into: &out)
        default: out = scalar(value) + "\n"
        }
        return out
    }

    private func sortedKeys(_ o: [String: JSONValue]) -> [String] {
        o.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private func isInline(_ v: JSONValue) -> Bool {
        switch v {
        case .object(let o): return o.isEmpty
        case .array(let a): return a.isEmpty
        default: return true
        }
    }

    private func writeObject(_ o: [String: JSONValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for k in sortedKeys(o) {
            let v = o[k] ?? .null
            out += pad + Self.quoted(k) + ":"
            if isInline(v) { out += " " + scalar(v) + "\n"; continue }
            out += "\n"
            if case .object(let child) = v { writeObject(child, indent: indent + 2, into: &out) }
            if case .array(let child) = v { writeArray(child, indent: indent + 2, into: &out) }
        }
    }

    private func writeArray(_ a: [JSONValue], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for v in a {
            if isInline(v) { out += pad + "- " + scalar(v) + "\n"; continue }
            if case .object(let child) = v {
                // First key on the dash line, the rest aligned under it.
                var body = ""
                writeObject(child, indent: indent + 2, into: &body)
                out += pad + "- " + body.dropFirst(indent + 2)
            }
            if case .array(let child) = v {
                out += pad + "-\n"
                writeArray(child, indent: indent + 2, into: &out)
            }
        }
    }

    private func scalar(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int, .double: return (try? CanonicalJSON.string(v)) ?? "null"
        case .string(let s): return Self.quoted(escapeDollars ? s.replacingOccurrences(of: "$", with: "$$") : s)
        case .object: return "{}"
        case .array: return "[]"
        }
    }

    private static let reserved: Set<String> = ["null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"]

    /// The string plain when it can only read back as the same string, else JSON-quoted.
    static func quoted(_ s: String) -> String {
        let safe = !s.isEmpty && s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "/") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
        }
        let first = s.utf8.first ?? 0
        let startsOK = (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a) || first == UInt8(ascii: "/")
            || first == UInt8(ascii: "_") || (first >= 0x30 && first <= 0x39 && !s.contains("_") && !s.contains("-"))
        if safe, startsOK, !reserved.contains(s.lowercased()), !looksNumeric(s) { return s }
        return (try? CanonicalJSON.string(JSONValue.string(s))) ?? "\"\""
    }

    private static func looksNumeric(_ s: String) -> Bool {
        let lower = s.lowercased()
        let digitsOnly = lower.allSatisfy { $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" || $0 == "e" }
        return (digitsOnly && Double(lower) != nil) || lower == ".inf" || lower == ".nan" || lower.hasPrefix("0x") || lower.hasPrefix("0o") || lower.hasPrefix("0b")
    }
}
