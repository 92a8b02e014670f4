import CNCCore
import Crypto
import Foundation

/// A push webhook from GitHub, Gitea or GitLab: verified against the shared secret, then read
/// for the branch it pushed. GitHub signs the body (`X-Hub-Signature-256: sha256=<hex
/// HMAC-SHA256>`), Gitea too (`X-Gitea-Signature: <hex>`), GitLab sends the secret itself
/// (`X-Gitlab-Token`). Every comparison is constant-time.
public struct Webhook: Sendable {
    public enum Provider: String, Sendable { case github, gitea, gitlab }

    /// What to do with a request.
    public enum Decision: Sendable, Equatable {
        /// Verified, and a push to the followed branch: sync now.
        case sync(provider: Provider)
        /// Verified but not for us (another branch, a ping, a tag): answered 202, nothing runs.
        case ignored(String)
        /// Not verified: 401, nothing runs.
        case unauthorized(String)
        /// Verified but not a push payload: 400.
        case badRequest(String)
    }

    let secret: [UInt8]
    public let branch: String

    public init(secret: [UInt8], branch: String) {
        self.secret = secret
        self.branch = branch
    }

    /// The secret from a file: its content without the trailing newline; empty is an error.
    public static func readSecret(_ bytes: [UInt8], path: String) throws -> [UInt8] {
        var b = bytes
        while let last = b.last, last == 10 || last == 13 { b.removeLast() }
        guard !b.isEmpty else { throw CNCError(.invalidArgument, "webhook secret file \(path) is empty") }
        return b
    }

    /// `headers`: names lowercased.
    public func decide(headers: [String: String], body: [UInt8]) -> Decision {
        let provider: Provider
        if let sig = headers["x-gitea-signature"] {
            guard verifyHMAC(hex: sig, body: body) else { return .unauthorized("X-Gitea-Signature does not match the body") }
            provider = .gitea
        } else if let sig = headers["x-hub-signature-256"] {
            guard sig.hasPrefix("sha256="), verifyHMAC(hex: String(sig.dropFirst(7)), body: body) else {
                return .unauthorized("X-Hub-Signature-256 does not match the body")
            }
            provider = .github
        } else if let token = headers["x-gitlab-token"] {
            guard Self.constantTimeEqual(Array(token.utf8), secret) else { return .unauthorized("X-Gitlab-Token is not the secret") }
            provider = .gitlab
        } else {
            return .unauthorized("no X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token header")
        }
        let event = headers["x-github-event"] ?? headers["x-gitea-event"] ?? headers["x-gitlab-event"]
        if let event, event != "push", event != "Push Hook" { return .ignored("\(event) event") }
        struct Push: Decodable { var ref: String? }
        guard let push = try? JSONDecoder().decode(Push.self, from: Data(body)), let ref = push.ref else {
            return .badRequest("the body is not a push event (no \"ref\")")
        }
        guard ref == "refs/heads/" + branch else { return .ignored("push to \(ref), not refs/heads/\(branch)") }
        return .sync(provider: provider)
    }

    func verifyHMAC(hex: String, body: [UInt8]) -> Bool {
        guard let mac = Self.bytes(hex: hex), mac.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: secret))
    }

    /// The hex HMAC-SHA256 of `body` under `secret` (what a sender puts in its header).
    public static func signature(_ body: [UInt8], secret: [UInt8]) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret)).map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }

    /// Equal bytes, in time that depends on the lengths only.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}
