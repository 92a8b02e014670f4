/// An image reference in Docker's grammar, normalized the way Docker does it:
/// `busybox` is `docker.io/library/busybox:latest`, `localhost:5000/app@sha256:...` keeps its registry.
///
///     reference := name [":" tag] ["@" digest]
///     name      := [domain "/"] path-component ["/" path-component]*
///     domain    := host [":" port]   (first component with "." or ":" or exactly "localhost")
///     path-component := [a-z0-9]+ (separator [a-z0-9]+)*,  separator := [_.] | "__" | "-"+
///     tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
public struct ImageReference: Hashable, Sendable, Codable, CustomStringConvertible {
    public static let defaultDomain = "docker.io"
    public static let defaultTag = "latest"

    /// Registry host with optional port, e.g. `docker.io`, `127.0.0.1:5055`.
    public let domain: String
    /// Repository path inside the registry, e.g. `library/busybox`.
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public init(domain: String, path: String, tag: String?, digest: Digest?) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// Parses and normalizes `string`. Without tag or digest the tag is `latest`.
    public init(parsing string: String) throws {
        func fail(_ why: String) -> CNCError {
            CNCError(.invalidArgument, "invalid reference format \"\(string)\": \(why)")
        }
        guard !string.isEmpty else { throw fail("empty reference") }
        if string.utf8.count == 64, string.utf8.allSatisfy(Hex.isLowerHexDigit) {
            throw fail("cannot specify 64-byte hexadecimal strings as a repository name")
        }
        var rest = Substring(string)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            do { digest = try Digest(String(rest[rest.index(after: at)...])) } catch {
                throw fail("bad digest after \"@\": \(error)")
            }
            rest = rest[..<at]
        }
        var tag: String?
        // A ":" after the last "/" starts a tag; one before it belongs to a registry port.
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let t = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(t) else {
                throw fail("tag \"\(t)\" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
            }
            tag = t
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw fail("missing repository name") }
        var domain = Self.defaultDomain
        var path = String(rest)
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: { $0.isUppercase }) {
                guard Self.isValidDomain(first) else { throw fail("invalid registry host \"\(first)\"") }
                domain = String(first)
                path = String(rest[rest.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = Self.defaultDomain }
        if domain == Self.defaultDomain, !path.contains("/") { path = "library/" + path }
        if path.contains(where: { $0.isUppercase }) { throw fail("repository name must be lowercase") }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        for c in components where !Self.isValidPathComponent(c) {
            throw fail("path component \"\(c)\" must be lowercase letters and digits separated by \".\", \"_\", \"__\" or \"-\"")
        }
        let fullName = domain + "/" + path
        guard fullName.utf8.count <= 255 else { throw fail("repository name must not be more than 255 characters") }
        self.init(domain: domain, path: path, tag: (tag == nil && digest == nil) ? Self.defaultTag : tag, digest: digest)
    }

    /// `docker.io/library/busybox`
    public var name: String { domain + "/" + path }

    /// The fully qualified form: `docker.io/library/busybox:latest`, `host/app:1@sha256:...`.
    public var description: String {
        var s = name
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// The short form Docker prints: `busybox:latest`, `me/app:1`, `localhost:5000/app:1`.
    public var familiar: String {
        var n = name
        if domain == Self.defaultDomain {
            n = path.hasPrefix("library/") && path.split(separator: "/").count == 2 ? String(path.dropFirst(8)) : path
        }
        if let tag { n += ":" + tag }
        if let digest { n += "@" + digest.description }
        return n
    }

    /// The same repository with another tag (and no digest).
    public func withTag(_ newTag: String) throws -> ImageReference {
        guard Self.isValidTag(newTag) else {
            throw CNCError(.invalidArgument, "invalid tag \"\(newTag)\": must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
        }
        return ImageReference(domain: domain, path: path, tag: newTag, digest: nil)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    // MARK: grammar

    static func isValidTag(_ t: String) -> Bool {
        let u = Array(t.utf8)
        guard let first = u.first, u.count <= 128, isWord(first) else { return false }
        return u.dropFirst().allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    static func isValidPathComponent(_ c: Substring) -> Bool {
        // [a-z0-9]+ ( ( [_.] | __ | [-]+ ) [a-z0-9]+ )*
        let u = Array(c.utf8)
        var i = 0
        func alnumRun() -> Bool {
            let start = i
            while i < u.count, isLowerAlnum(u[i]) { i += 1 }
            return i > start
        }
        guard alnumRun() else { return false }
        while i < u.count {
            switch u[i] {
            case UInt8(ascii: "."): i += 1
            case UInt8(ascii: "_"):
                i += 1
                if i < u.count, u[i] == UInt8(ascii: "_") { i += 1 }
            case UInt8(ascii: "-"):
                while i < u.count, u[i] == UInt8(ascii: "-") { i += 1 }
            default: return false
            }
            guard alnumRun() else { return false }
        }
        return true
    }

    static func isValidDomain(_ d: Substring) -> Bool {
        var host = d
        if d.hasPrefix("[") {
            // [IPv6]:port
            guard let close = d.firstIndex(of: "]") else { return false }
            let inner = d[d.index(after: d.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" }) else { return false }
            let after = d[d.index(after: close)...]
            if after.isEmpty { return true }
            guard after.first == ":" else { return false }
            let port = after.dropFirst()
            return !port.isEmpty && port.allSatisfy(\.isASCII) && port.allSatisfy(\.isNumber)
        }
        if let colon = d.lastIndex(of: ":") {
            let port = d[d.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            host = d[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            let u = Array(label.utf8)
            guard let f = u.first, let l = u.last, isAlnum(f), isAlnum(l) else { return false }
            return u.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) }
    private static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (c >= 0x41 && c <= 0x5a) }
    private static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") }
}
