import Foundation

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant whitespace,
/// integers without a fraction, minimal string escapes. The same value always gives the same
/// bytes, which is what config hashes and golden files need.
public enum CanonicalJSON {
    /// The canonical bytes of any Encodable value.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> [UInt8] {
        let tree: JSONValue
        if let v = value as? JSONValue { tree = v } else {
            do {
                let data = try JSONEncoder().encode(value)
                tree = try JSONDecoder().decode(JSONValue.self, from: data)
            } catch {
                throw CNCError.failed("encode", "\(T.self) as JSON", code: .internal, cause: error)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(tree, into: &out, indent: pretty ? 0 : nil)
        if pretty { out.append(0x0a) }
        return out
    }

    /// The canonical text of any Encodable value.
    public static func string<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        String(decoding: try encode(value, pretty: pretty), as: UTF8.self)
    }

    static func write(_ v: JSONValue, into out: inout [UInt8], indent: Int?) {
        switch v {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .int(let i): out += Array(String(i).utf8)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            if a.isEmpty { out += Array("[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (n, e) in a.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                write(e, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { out += Array("{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            let keys = o.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (n, k) in keys.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                writeString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                // Safe: k comes from o.keys.
                write(o[k] ?? .null, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int?) {
        guard let indent else { return }
        out.append(0x0a)
        out += [UInt8](repeating: 0x20, count: indent * 2)
    }

    private static func writeDouble(_ d: Double, into out: inout [UInt8]) {
        if !d.isFinite { out += Array("null".utf8); return }
        if d == d.rounded(), abs(d) < 9.007199254740992e15 { out += Array(String(Int64(d)).utf8); return }
        out += Array("\(d)".utf8)
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [0x5c, 0x22]
            case UInt8(ascii: "\\"): out += [0x5c, 0x5c]
            case 0x0a: out += [0x5c, UInt8(ascii: "n")]
            case 0x0d: out += [0x5c, UInt8(ascii: "r")]
            case 0x09: out += [0x5c, UInt8(ascii: "t")]
            case 0x08: out += [0x5c, UInt8(ascii: "b")]
            case 0x0c: out += [0x5c, UInt8(ascii: "f")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8)
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xf)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
