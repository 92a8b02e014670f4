/// An IPv4 address.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// Parses dotted-quad text ("10.88.0.1"); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCII), let n = UInt32(p), n <= 255 else { return nil }
            if p.count > 1 && p.hasPrefix("0") { return nil }
            v = v << 8 | n
        }
        value = v
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 else { return nil }
        value = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
    }

    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }
    public var description: String { bytes.map(String.init).joined(separator: ".") }
    public var isLoopback: Bool { value >> 24 == 127 }
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let a = IPv4Address(s) else { throw CNCError(.invalidArgument, "invalid IPv4 address \"\(s)\"") }
        self = a
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// An IPv4 network in CIDR form, normalised to its network address.
public struct IPv4Subnet: Hashable, Sendable, CustomStringConvertible, Codable {
    public var network: IPv4Address
    public var prefixLength: Int

    public init(network: IPv4Address, prefixLength: Int) {
        let p = max(0, min(32, prefixLength))
        self.prefixLength = p
        self.network = IPv4Address(network.value & Self.mask(p))
    }

    /// Parses "10.88.0.0/16"; the host bits must be zero.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let addr = IPv4Address(String(parts[0])),
              let p = Int(parts[1]), (0...32).contains(p) else {
            throw CNCError(.invalidArgument, "invalid subnet \"\(text)\": want CIDR such as 10.89.1.0/24")
        }
        guard addr.value & ~Self.mask(p) == 0 else {
            throw CNCError(.invalidArgument, "invalid subnet \"\(text)\": host bits set (did you mean \(IPv4Subnet(network: addr, prefixLength: p))?)")
        }
        self.init(network: addr, prefixLength: p)
    }

    static func mask(_ p: Int) -> UInt32 { p == 0 ? 0 : UInt32.max << UInt32(32 - p) }
    public var mask: UInt32 { Self.mask(prefixLength) }
    public var description: String { "\(network)/\(prefixLength)" }
    public var broadcast: IPv4Address { IPv4Address(network.value | ~mask) }
    /// The first usable host address (the conventional gateway).
    public var firstHost: IPv4Address { IPv4Address(network.value &+ (prefixLength >= 31 ? 0 : 1)) }
    /// The number of addresses, capped to UInt32.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }

    public func contains(_ a: IPv4Address) -> Bool { a.value & mask == network.value }
    public func overlaps(_ o: IPv4Subnet) -> Bool {
        let p = min(prefixLength, o.prefixLength)
        return network.value & Self.mask(p) == o.network.value & Self.mask(p)
    }
    /// True when `a` may be handed to a container: inside, not the network or broadcast address.
    public func isAssignable(_ a: IPv4Address) -> Bool {
        contains(a) && (prefixLength >= 31 || (a != network && a != broadcast))
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
