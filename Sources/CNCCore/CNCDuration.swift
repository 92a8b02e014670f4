/// A span of time written the Go way, as Compose and Docker accept it: `1m30s`, `10s`, `500ms`,
/// `1.5h`, `2h45m`, `100us`, `0`. Stored as nanoseconds.
public struct CNCDuration: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static func seconds(_ s: Int64) -> CNCDuration { CNCDuration(nanoseconds: s * 1_000_000_000) }
    public static let zero = CNCDuration(nanoseconds: 0)

    public static let examples = "examples: 10s, 1m30s, 500ms, 2h"

    public init(parsing text: String) throws {
        func fail(_ why: String = "") -> CNCError {
            CNCError(.invalidArgument, "\"\(text)\" is not a duration (\(Self.examples))\(why)")
        }
        let u = Array(text.trimmingSpaces.utf8)
        guard !u.isEmpty else { throw fail() }
        if u == Array("0".utf8) { nanoseconds = 0; return }
        let units: [(String, Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        var i = 0
        var total: Double = 0
        while i < u.count {
            let start = i
            while i < u.count, (u[i] >= 0x30 && u[i] <= 0x39) || u[i] == UInt8(ascii: ".") { i += 1 }
            guard i > start, let value = Double(String(decoding: u[start..<i], as: UTF8.self)) else {
                throw fail()
            }
            let unitStart = i
            while i < u.count, !((u[i] >= 0x30 && u[i] <= 0x39) || u[i] == UInt8(ascii: ".")) { i += 1 }
            let unit = String(decoding: u[unitStart..<i], as: UTF8.self)
            guard !unit.isEmpty else { throw fail(": missing unit after \(String(decoding: u[start..<i], as: UTF8.self))") }
            guard let mult = units.first(where: { $0.0 == unit })?.1 else { throw fail(": unknown unit \"\(unit)\"") }
            total += value * mult
        }
        guard total < 9.2e18 else { throw fail(": too large") }
        nanoseconds = Int64(total.rounded())
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// Go's format: `1m30s`, `500ms`, `2h0m0s`, `0s`.
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        var n = nanoseconds
        var sign = ""
        if n < 0 { sign = "-"; n = -n }
        if n < 1_000_000_000 {
            if n % 1_000_000 == 0 { return "\(sign)\(n / 1_000_000)ms" }
            if n % 1_000 == 0 { return "\(sign)\(n / 1_000)us" }
            return "\(sign)\(n)ns"
        }
        let h = n / 3_600_000_000_000
        let m = (n / 60_000_000_000) % 60
        let sNanos = n % 60_000_000_000
        var secs = "\(sNanos / 1_000_000_000)"
        var frac = sNanos % 1_000_000_000
        if frac != 0 {
            var digits = 9
            while frac % 10 == 0 { frac /= 10; digits -= 1 }
            let fracStr = String(frac)
            secs += "." + String(repeating: "0", count: digits - fracStr.count) + fracStr
        }
        if h > 0 { return "\(sign)\(h)h\(m)m\(secs)s" }
        if m > 0 { return "\(sign)\(m)m\(secs)s" }
        return "\(sign)\(secs)s"
    }

    public static func < (a: CNCDuration, b: CNCDuration) -> Bool { a.nanoseconds < b.nanoseconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int64.self) { self.init(nanoseconds: n) } else { try self.init(parsing: try c.decode(String.self)) }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
