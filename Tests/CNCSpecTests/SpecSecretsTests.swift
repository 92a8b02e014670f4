import CNCCore
import Foundation
import Testing
@testable import CNCSpec

/// A decryptor for tests: an "encrypted" file is its clear text prefixed with `ENC:`; anything
/// else fails as a wrong key would. The digest is keyed by `key`.
struct FakeDecryptor: SpecDecryptor {
    var key = "k1"
    func decrypt(_ path: String) throws -> [UInt8] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard text.hasPrefix("ENC:") else { throw CNCError(.invalidArgument, "cannot decrypt \(path): wrong key") }
        return Array(text.dropFirst(4).utf8)
    }
    func digest(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 1469598103934665603
        for b in Array(key.utf8) + [0] + bytes { h = (h ^ UInt64(b)) &* 1099511628211 }
        return "fake:" + String(h, radix: 16)
    }
}

@Suite struct SpecSecretsTests {
    static let app = """
    name: s
    services:
      web:
        image: busybox
        environment:
          DB_PASSWORD: ${DB_PASSWORD}
          URL: postgres://u:${DB_PASSWORD}@db/x
          PLAIN: hello
        env_file: [api.env.enc]
        secrets: [pw]
    secrets:
      pw:
        file: ./pw.enc
    """

    func load(_ dir: SpecDir, decryptor: (any SpecDecryptor)? = FakeDecryptor()) throws(SpecErrors) -> LoadedSpec {
        try SpecLoader.load(SpecLoadOptions(files: ["app.yaml"], workingDirectory: dir.path, decryptor: decryptor))
    }

    func files(_ password: String = "s3cr3t-value", spec: String = app) -> [String: String] {
        ["app.yaml": spec, ".env.enc": "ENC:DB_PASSWORD=\(password)\n", "api.env.enc": "ENC:API_TOKEN=tok-123456\n", "pw.enc": "ENC:file-secret-1"]
    }

    @Test func secretValuesAreRedactedAndKeptAside() throws {
        let dir = try SpecDir(files())
        let loaded = try load(dir)
        let web = try #require(loaded.app.services["web"])
        #expect(web.sealedEnvironment == ["DB_PASSWORD": "s3cr3t-value", "URL": "postgres://u:s3cr3t-value@db/x", "API_TOKEN": "tok-123456"])
        let redacted = try #require(web.environment["DB_PASSWORD"] ?? nil)
        #expect(redacted.hasPrefix("<secret: .env.enc fake:"), "\(redacted)")
        #expect((web.environment["API_TOKEN"] ?? nil)?.hasPrefix("<secret: api.env.enc ") == true)
        #expect(web.environment["PLAIN"] == "hello")
        #expect(loaded.sealedVariables == ["DB_PASSWORD"])
        #expect(loaded.app.sealedFiles[dir.path + "/pw.enc"]?.content == Array("file-secret-1".utf8))
        // What is stored and printed (the normalized spec) holds none of the values.
        let text = String(decoding: try JSONEncoder().encode(loaded.app), as: UTF8.self)
        for secret in ["s3cr3t-value", "tok-123456", "file-secret-1"] { #expect(!text.contains(secret), "\(secret) in \(text)") }
    }

    @Test func theRedactionChangesWithTheValueAndTheKey() throws {
        func redaction(_ password: String, key: String = "k1") throws -> String? {
            let dir = try SpecDir(files(password))
            return try load(dir, decryptor: FakeDecryptor(key: key)).app.services["web"]?.environment["DB_PASSWORD"] ?? nil
        }
        #expect(try redaction("one-value") == redaction("one-value"))
        #expect(try redaction("one-value") != redaction("two-value"))
        #expect(try redaction("one-value") != redaction("one-value", key: "k2"))
    }

    /// The errors loading the app with `line` added under `image:` gives ("" when it loads).
    func errors(adding line: String) throws -> String {
        let dir = try SpecDir(files(spec: Self.app.replacingOccurrences(of: "image: busybox", with: "image: busybox\n    " + line)))
        do { _ = try load(dir) } catch { return "\(error.diagnostics)" }
        return ""
    }

    @Test func aSecretOutsideEnvironmentIsRefused() throws {
        let text = try errors(adding: "command: [\"echo\", \"${DB_PASSWORD}\"]")
        #expect(text.contains("services.web.command[1]") && text.contains("encrypted .env.enc") && !text.contains("s3cr3t"), "\(text)")
    }

    @Test func anErrorAboutASecretValueDoesNotPrintIt() throws {
        let text = try errors(adding: "ports: [\"${DB_PASSWORD}:80\"]")
        #expect(text.contains("services.web.ports[0]") && text.contains("<secret: .env.enc>") && !text.contains("s3cr3t"), "\(text)")
    }

    @Test func aWrongOrMissingKeyNamesTheFile() throws {
        var f = files()
        f["pw.enc"] = "garbage"
        let dir = try SpecDir(f)
        #expect {
            _ = try load(dir)
        } throws: { error in "\((error as? SpecErrors)?.diagnostics ?? [])".contains("pw.enc: wrong key") }
        #expect {
            _ = try load(dir, decryptor: nil)
        } throws: { error in "\((error as? SpecErrors)?.diagnostics ?? [])".contains("cannot decrypt .env.enc: no age key") }
    }

    @Test func anEncryptedSpecFileIsDecryptedAndKeepsItsName() throws {
        let dir = try SpecDir(["app.enc.yaml": "ENC:name: x\nservices:\n  web:\n    image: busybox\n    bogus: 1\n"])
        #expect {
            _ = try SpecLoader.load(SpecLoadOptions(files: ["app.enc.yaml"], workingDirectory: dir.path, decryptor: FakeDecryptor()))
        } throws: { error in "\((error as? SpecErrors)?.diagnostics ?? [])".contains("app.enc.yaml:5:") }
    }

    @Test(arguments: [("pw-123456", "x pw-123456 y", true), ("1", "busybox:1", false), ("1", "1", true), ("abcdef", "abcde", false)])
    func containment(_ secret: String, _ value: String, _ found: Bool) {
        #expect((SecretRedaction.source(of: value, secrets: [secret: "f"]) != nil) == found)
    }
}

@Suite struct EncryptedSpecFileTests {
    @Test func environmentWrittenInAnEncryptedSpecIsSealed() throws {
        let dir = try SpecDir([
            "app.yaml": "name: x\ninclude: [prod.enc.yaml]\nservices:\n  web:\n    image: busybox\n    environment: {PLAIN: a}\n",
            "prod.enc.yaml": "ENC:services:\n  api:\n    image: busybox\n    environment:\n      TOKEN: tok-in-spec\n    command: [sleep, '1']\n",
        ])
        let loaded = try SpecLoader.load(SpecLoadOptions(files: ["app.yaml"], workingDirectory: dir.path, decryptor: FakeDecryptor()))
        let api = try #require(loaded.app.services["api"])
        #expect(api.sealedEnvironment == ["TOKEN": "tok-in-spec"])
        #expect((api.environment["TOKEN"] ?? nil)?.hasPrefix("<secret: prod.enc.yaml fake:") == true, "\(api.environment)")
        #expect(loaded.app.services["web"]?.sealedEnvironment == [:])
    }
}
