import CNCCore
import CNCSystem
import Foundation

/// A username and password (or identity token) for one registry.
public struct Credential: Sendable, Equatable {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// Stored registry logins in Docker's config.json shape ({"auths": {host: {"auth": base64(user:pass)}}}),
/// in a file only its owner can read (0600).
public struct CredentialStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    struct File: Codable {
        var auths: [String: Entry] = [:]
        struct Entry: Codable { var auth: String }
    }

    func read() throws -> File {
        guard FileSystem.exists(path) else { return File() }
        do { return try JSONDecoder().decode(File.self, from: Data(try FileSystem.readBytes(path))) } catch {
            throw CNCError.wrap(error, "failed to read credentials \(path)")
        }
    }

    public func credential(for host: String) throws -> Credential? {
        guard let e = try read().auths[host] ?? read().auths["https://" + host],
              let data = Data(base64Encoded: e.auth) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return Credential(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }

    public func store(_ c: Credential, for host: String) throws {
        var f = try read()
        f.auths[host] = File.Entry(auth: Data("\(c.username):\(c.password)".utf8).base64EncodedString())
        try save(f)
    }

    /// Removes the login for `host`; false when there was none.
    @discardableResult
    public func remove(_ host: String) throws -> Bool {
        var f = try read()
        guard f.auths.removeValue(forKey: host) != nil else { return false }
        try save(f)
        return true
    }

    private func save(_ f: File) throws {
        try FileSystem.createDirectory(FileSystem.directoryName(path), mode: 0o700)
        try FileSystem.writeAtomically(try CanonicalJSON.encode(f, pretty: true), to: path, mode: 0o600)
    }
}
