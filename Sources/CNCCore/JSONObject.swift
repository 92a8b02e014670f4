/// Builds a JSON object field by field, with JSONEncoder's conventions (a nil optional is left
/// out): for hand-written encodings on hot paths, where Codable's generic machinery costs more
/// than the work (its metadata is instantiated on first use in every process).
public struct JSONObject {
    public private(set) var fields: [String: JSONValue] = [:]
    public init() {}

    public var value: JSONValue { .object(fields) }

    public mutating func set(_ key: String, _ v: JSONValue?) { if let v { fields[key] = v } }
    public mutating func set(_ key: String, _ v: String?) { if let v { fields[key] = .string(v) } }
    public mutating func set(_ key: String, _ v: Bool?) { if let v { fields[key] = .bool(v) } }
    public mutating func set<I: BinaryInteger>(_ key: String, _ v: I?) { if let v { fields[key] = .int(Int64(v)) } }
    public mutating func set(_ key: String, _ v: [String]?) { if let v { fields[key] = .array(v.map { .string($0) }) } }
    public mutating func set(_ key: String, _ v: [String: String]?) { if let v { fields[key] = .object(v.mapValues { .string($0) }) } }
    public mutating func set(_ key: String, _ v: [JSONValue]?) { if let v { fields[key] = .array(v) } }
}

extension CanonicalJSON {
    /// The canonical text of a JSON value (sorted keys, as JSONEncoder's .sortedKeys).
    public static func bytes(_ value: JSONValue, pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(value, into: &out, indent: pretty ? 0 : nil)
        if pretty { out.append(0x0a) }
        return out
    }
}
