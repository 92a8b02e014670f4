import CNCCore
import Foundation

/// Decrypts a spec's encrypted inputs (`*.enc.yaml`, `.env.enc`, `env_file: x.enc`, secrets'
/// `file: x.enc`) in memory, and gives the keyed digest that stands for a secret value in the
/// normalized spec (so config hashes change with the value while the value is never stored).
/// CNCAppCLI's `AgeDecryptor` is the real one (the `age` CLI fed by pipes); tests give fakes.
public protocol SpecDecryptor: Sendable {
    /// The clear bytes of the encrypted file at `path` (absolute); throws a CNCError whose
    /// message says what went wrong and what to do (a missing or wrong key).
    func decrypt(_ path: String) throws -> [UInt8]
    /// A keyed digest of a secret value, e.g. `hmac-sha256:0123456789abcdef`.
    func digest(_ bytes: [UInt8]) -> String
}

/// The secret values of one load: those read from encrypted env files (which file each came
/// from) and the decrypted content of encrypted secret files. Shared by the readers of a
/// large spec (which read services in parallel), hence the lock.
final class SealedInputs: @unchecked Sendable {
    let decryptor: (any SpecDecryptor)?
    private let lock = NSLock()
    /// Secret value -> the encrypted file it came from (as the user named it).
    private var values: [String: String] = [:]

    init(decryptor: (any SpecDecryptor)?) { self.decryptor = decryptor }

    /// Whether a file is encrypted by its name: `*.enc`, `*.enc.yaml`, `*.enc.yml`.
    static func isEncrypted(_ path: String) -> Bool {
        path.hasSuffix(".enc") || path.hasSuffix(".enc.yaml") || path.hasSuffix(".enc.yml")
    }

    /// A file a spec names: decrypted in memory when encrypted, else read as it is. nil when
    /// it is missing; throws (with the reason) when it cannot be decrypted.
    func read(_ path: String, shown: String) throws -> [UInt8]? {
        guard Self.isEncrypted(path) else { return SpecFiles.readBytes(path) }
        guard SpecFiles.readBytes(path) != nil else { return nil }
        guard let decryptor else {
            throw CNCError(.unsupported, "cannot decrypt \(shown): no age key was given (--age-key-file or CNC_AGE_KEY_FILE)")
        }
        return try decryptor.decrypt(path)
    }

    /// Records the values of an encrypted env file as secrets.
    func remember(_ entries: [(String, String)], from file: String) {
        lock.lock(); defer { lock.unlock() }
        for (_, v) in entries where !v.isEmpty { values[v] = values[v] ?? file }
    }

    var all: [String: String] {
        lock.lock(); defer { lock.unlock() }
        return values
    }
}

/// What a secret value looks like wherever the normalized spec goes (revisions, `cncapply
/// config`, plan causes, `cnc inspect`): the file it came from and a keyed digest.
public enum SecretRedaction {
    public static func text(file: String, digest: String) -> String { "<secret: \(file) \(digest)>" }

    /// Whether a value is a redaction (a value read back from a stored revision, say).
    public static func isRedaction(_ value: String) -> Bool { value.hasPrefix("<secret: ") && value.hasSuffix(">") }

    /// `diagnostics` with every secret value in their messages replaced by `<secret: FILE>`: an
    /// error about a value (`"s3cr3t:80" is not a port`) must not print it.
    static func scrub(_ diagnostics: [SpecDiagnostic], secrets: [String: String]) -> [SpecDiagnostic] {
        guard !secrets.isEmpty else { return diagnostics }
        let ordered = secrets.sorted { $0.key.count > $1.key.count }
        return diagnostics.map { d in
            var d = d
            for (value, file) in ordered {
                let shown = "<secret: \(file)>"
                d.message = d.message.replacingOccurrences(of: "\"\(value)\"", with: shown)
                if value.count >= 6 { d.message = d.message.replacingOccurrences(of: value, with: shown) }
            }
            return d
        }
    }

    /// The file a secret value came from, if `value` holds one: exactly for values of at least 6
    /// characters contained in it, else only when equal (a short secret such as "1" would be
    /// "found" in every port and tag).
    static func source(of value: String, secrets: [String: String]) -> String? {
        if let f = secrets[value] { return f }
        for (s, f) in secrets.sorted(by: { $0.key.count > $1.key.count }) where s.count >= 6 && value.contains(s) { return f }
        return nil
    }
}
