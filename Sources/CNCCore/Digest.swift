/// A content digest as OCI writes it: `algorithm:encoded`, e.g. `sha256:<64 hex>`.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public enum Algorithm: String, Sendable, Codable, CaseIterable {
        case sha256, sha512
        public var hexLength: Int { self == .sha256 ? 64 : 128 }
    }

    public let algorithm: Algorithm
    /// The lowercase hex digest.
    public let encoded: String

    public init(_ string: String) throws {
        guard let colon = string.firstIndex(of: ":") else {
            throw CNCError(.invalidArgument, "invalid digest \"\(string)\": want algorithm:hex, e.g. sha256:<64 hex digits>")
        }
        let algo = String(string[..<colon])
        let hex = String(string[string.index(after: colon)...])
        guard let algorithm = Algorithm(rawValue: algo) else {
            throw CNCError(.invalidArgument, "invalid digest \"\(string)\": unsupported algorithm \"\(algo)\" (supported: sha256, sha512)")
        }
        try self.init(algorithm: algorithm, encoded: hex)
    }

    public init(algorithm: Algorithm, encoded: String) throws {
        guard encoded.utf8.count == algorithm.hexLength, encoded.utf8.allSatisfy(Hex.isLowerHexDigit) else {
            throw CNCError(.invalidArgument,
                "invalid digest \"\(algorithm.rawValue):\(encoded)\": want \(algorithm.hexLength) lowercase hex digits")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// A sha256 digest from raw hash bytes.
    public static func sha256(bytes: [UInt8]) throws -> Digest {
        try Digest(algorithm: .sha256, encoded: Hex.encode(bytes))
    }

    public var description: String { "\(algorithm.rawValue):\(encoded)" }
    /// `sha256:1a2b3c4d5e6f` — 12 hex digits, for plans and tables.
    public var short: String { "\(algorithm.rawValue):\(encoded.prefix(12))" }
    public static func < (a: Digest, b: Digest) -> Bool { a.description < b.description }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
