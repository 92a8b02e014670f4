import CNCCore
import CNCSpec
import CNCSystem
import Crypto
import Foundation

/// The spec's decryptor: Debian's `age -d -i KEYFILE` as a child process, the ciphertext fed on
/// its stdin and the clear text read from its stdout, so nothing is written in clear to a file.
/// The keyed digest that stands for a secret value is an HMAC-SHA256 under a key derived from
/// the age identity: stable on the host, useless for guessing a value without the key.
public struct AgeDecryptor: SpecDecryptor {
    /// The identity file (`AGE-SECRET-KEY-...` lines, as `age-keygen -o` writes).
    public let keyFile: String
    /// Where the key file came from, for errors: "--age-key-file", "CNC_AGE_KEY_FILE", ...
    public let origin: String

    public init(keyFile: String, origin: String) {
        self.keyFile = keyFile
        self.origin = origin
    }

    /// --age-key-file, else $CNC_AGE_KEY_FILE, else $SOPS_AGE_KEY_FILE (sops' own variable),
    /// else `<state root>/age/key.txt` ($CNC_ROOT or /var/lib/cnc).
    public static func resolve(option: String?, environment: [String: String]) -> AgeDecryptor {
        if let option, !option.isEmpty { return AgeDecryptor(keyFile: option, origin: "--age-key-file") }
        for name in ["CNC_AGE_KEY_FILE", "SOPS_AGE_KEY_FILE"] {
            if let v = environment[name], !v.isEmpty { return AgeDecryptor(keyFile: v, origin: name) }
        }
        return AgeDecryptor(keyFile: GlobalOptions.stateRoot(nil) + "/age/key.txt", origin: "the default key file")
    }

    static let hint = "give the key with --age-key-file, CNC_AGE_KEY_FILE or SOPS_AGE_KEY_FILE (age-keygen -o FILE makes one)"

    public func decrypt(_ path: String) throws -> [UInt8] {
        let name = String(path.split(separator: "/").last ?? Substring(path))
        func fail(_ why: String) -> CNCError { CNCError(.invalidArgument, "cannot decrypt \(name): \(why)") }
        guard FileSystem.exists(keyFile) else { throw fail("age key file \(keyFile) (\(origin)) does not exist; \(Self.hint)") }
        guard let age = Self.ageBinary() else { throw fail("the age command is not installed (apt-get install age)") }
        let cipher: [UInt8]
        do { cipher = try FileSystem.readBytes(path) } catch { throw fail("\(error)") }
        let r: Spawn.Captured
        do {
            r = try Spawn.capture(age, ["-d", "-i", keyFile], environment: ["PATH=/usr/bin:/bin", "LC_ALL=C"], stdin: cipher)
        } catch {
            throw fail("\(error)")
        }
        guard r.termination == .exited(0) else {
            let said = String(decoding: r.stderr, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("age: error:") }
                .map { $0.dropFirst("age: error: ".count) } ?? "age exited with status \(r.termination.shellStatus)"
            if said.contains("no identity matched") {
                throw fail("the age key in \(keyFile) (\(origin)) is not one it was encrypted to; \(Self.hint)")
            }
            throw fail("\(said) (key \(keyFile))")
        }
        return r.stdout
    }

    public func digest(_ bytes: [UInt8]) -> String {
        let identity = (try? FileSystem.readBytes(keyFile)) ?? []
        let key = SymmetricKey(data: SHA256.hash(data: Array("cnc secret digest\0".utf8) + identity))
        let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: key)
        return "hmac-sha256:" + Hex.encode(Array(mac)).prefix(16)
    }

    static func ageBinary() -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileSystem.exists(dir + "/age") { return dir + "/age" }
        return nil
    }
}
