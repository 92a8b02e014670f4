import CNCCore
import Crypto

/// Config hashes: sha256 over canonical JSON, hex.
public enum ConfigHash {
    public static func of(value: JSONValue) -> String {
        let bytes = (try? CanonicalJSON.encode(value)) ?? []
        return Hex.encode(SHA256.hash(data: bytes))
    }

    public static func of(sections: [String: JSONValue], imageDigest: CNCCore.Digest?) -> String {
        var all = sections
        all["image.digest"] = imageDigest.map { .string($0.description) } ?? .null
        return of(value: .object(all))
    }

    public static func perSection(_ sections: [String: JSONValue]) -> [String: String] {
        sections.mapValues { of(value: $0) }
    }
}
