/// A container's identity: 64 lowercase hex digits, shown shortened to 12 like Docker.
public struct ContainerID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    public init(_ rawValue: String) throws {
        guard rawValue.utf8.count == 64, rawValue.utf8.allSatisfy(Hex.isLowerHexDigit) else {
            throw CNCError(.invalidArgument, "invalid container ID \"\(rawValue)\": want 64 lowercase hex digits")
        }
        self.rawValue = rawValue
    }

    /// A fresh random ID.
    public static func random() -> ContainerID {
        // Four 64-bit draws (one getrandom each), not 32 single-byte ones.
        var rng = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: rng.next() as UInt64) { bytes += $0 } }
        // Safe: the hex of 32 bytes is always 64 lowercase hex digits.
        return ContainerID(unchecked: Hex.encode(bytes))
    }

    private init(unchecked: String) { rawValue = unchecked }

    /// The 12-digit form Docker prints.
    public var short: String { String(rawValue.prefix(12)) }
    public var description: String { rawValue }
    public static func < (a: ContainerID, b: ContainerID) -> Bool { a.rawValue < b.rawValue }

    /// True when `prefix` could abbreviate this ID (any non-empty prefix of hex digits).
    public func matches(prefix: String) -> Bool { !prefix.isEmpty && rawValue.hasPrefix(prefix) }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// Hex helpers shared by IDs and digests.
public enum Hex {
    @inlinable public static func isLowerHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)
    }

    /// Inlinable so that callers get a copy specialized to their sequence (a SHA256 digest):
    /// unspecialized, each byte went through the Sequence witnesses (~5 us per digest).
    @inlinable public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
