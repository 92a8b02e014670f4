import CNCCore
@preconcurrency import Crypto

/// Incremental SHA-256 (swift-crypto: BoringSSL with SHA-NI where the CPU has it) giving a Digest.
public struct SHA256Hasher: @unchecked Sendable {
    private var hasher = SHA256()
    public private(set) var count: Int64 = 0

    public init() {}

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: buffer)
        count += Int64(buffer.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func finalize() -> CNCCore.Digest {
        let raw = Array(hasher.finalize())
        // A 32-byte hash always makes a valid digest.
        return (try? Digest.sha256(bytes: raw)) ?? Self.zero
    }

    public static func digest(_ bytes: [UInt8]) -> CNCCore.Digest {
        var h = SHA256Hasher()
        h.update(bytes)
        return h.finalize()
    }

    public static func digest(_ text: String) -> CNCCore.Digest { digest(Array(text.utf8)) }

    static let zero = (try? CNCCore.Digest(algorithm: .sha256, encoded: String(repeating: "0", count: 64)))!
}
