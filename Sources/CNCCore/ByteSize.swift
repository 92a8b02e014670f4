/// A size in bytes, parsed the way Docker and Compose parse memory sizes: a number with an
/// optional binary unit — `512m`, `1g`, `1.5GiB`, `100k`, `2048`, `1gb`. Units are powers of 1024.
public struct ByteSize: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let bytes: Int64

    public init(bytes: Int64) { self.bytes = bytes }

    public static let examples = "examples: 512m, 1g, 1.5GiB"

    public init(parsing text: String) throws {
        func fail() -> CNCError {
            CNCError(.invalidArgument, "\"\(text)\" is not a size (\(Self.examples))")
        }
        let s = text.trimmingSpaces
        let u = Array(s.utf8)
        var i = 0
        while i < u.count, (u[i] >= 0x30 && u[i] <= 0x39) || u[i] == UInt8(ascii: ".") { i += 1 }
        guard i > 0, let value = Double(String(decoding: u[..<i], as: UTF8.self)), value.isFinite, value >= 0 else {
            throw fail()
        }
        var unit = String(decoding: u[i...], as: UTF8.self).lowercased()
        if unit.hasPrefix(" ") { unit.removeFirst() }
        let multipliers: [String: Int64] = [
            "": 1, "b": 1,
            "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
            "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
            "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
            "t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
            "p": 1 << 50, "pb": 1 << 50, "pib": 1 << 50,
        ]
        guard let mult = multipliers[unit] else { throw fail() }
        let total = (value * Double(mult)).rounded(.down)
        guard total < 9.2e18 else {
            throw CNCError(.invalidArgument, "\"\(text)\" is too large for a size (at most 8 EiB)")
        }
        bytes = Int64(total)
    }

    /// `1.5GiB`, `512MiB`, `100B`: the shortest exact binary form, else two decimals.
    public var description: String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var idx = 0
        while value >= 1024, idx < units.count - 1 { value /= 1024; idx += 1 }
        if value == value.rounded() { return "\(Int64(value))\(units[idx])" }
        let hundredths = (value * 100).rounded() / 100
        return "\(hundredths)\(units[idx])"
    }

    public static func < (a: ByteSize, b: ByteSize) -> Bool { a.bytes < b.bytes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int64.self) { self.init(bytes: n) } else { try self.init(parsing: try c.decode(String.self)) }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(bytes)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (no Foundation needed).
    public var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
