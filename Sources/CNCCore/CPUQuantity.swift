/// A number of CPUs as `--cpus` and Compose's `cpus` take it (`0.5`, `2`, `1.25`) or in
/// Kubernetes millicores (`500m`). Stored as nano-CPUs like Docker's NanoCPUs (1 CPU = 1e9).
public struct CPUQuantity: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let nanoCPUs: Int64

    public init(nanoCPUs: Int64) { self.nanoCPUs = nanoCPUs }

    public static let examples = "examples: 0.5, 2, 1500m"

    public init(parsing text: String) throws {
        let s = text.trimmingSpaces
        func fail(_ why: String = "") -> CNCError {
            CNCError(.invalidArgument, "\"\(text)\" is not a CPU quantity (\(Self.examples))\(why)")
        }
        var number = s
        var scale = 1e9
        if s.hasSuffix("m") { number = String(s.dropLast()); scale = 1e6 }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value.isFinite
        else { throw fail() }
        guard value > 0 else { throw fail(": must be greater than 0") }
        let nanos = (value * scale).rounded()
        guard nanos <= 1e15 else { throw fail(": too large") }
        guard nanos >= 1e7 else { throw fail(": the smallest is 0.01 CPUs (10m)") }
        nanoCPUs = Int64(nanos)
    }

    public var cpus: Double { Double(nanoCPUs) / 1e9 }

    /// CFS quota for `period` microseconds (Docker: quota = cpus * period).
    public func cfsQuota(periodMicros: Int64 = 100_000) -> Int64 { nanoCPUs * periodMicros / 1_000_000_000 }

    /// `0.5`, `2`, `1.25` — the plain decimal form.
    public var description: String {
        let whole = nanoCPUs / 1_000_000_000
        var frac = nanoCPUs % 1_000_000_000
        if frac == 0 { return "\(whole)" }
        var digits = 9
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        let f = String(frac)
        return "\(whole)." + String(repeating: "0", count: digits - f.count) + f
    }

    public static func < (a: CPUQuantity, b: CPUQuantity) -> Bool { a.nanoCPUs < b.nanoCPUs }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let d = try? c.decode(Double.self) { try self.init(parsing: String(d)) } else { try self.init(parsing: try c.decode(String.self)) }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
