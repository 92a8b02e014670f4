import CNCCore
import CNCOCI
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Settings of a registry client.
public struct RegistryOptions: Sendable {
    /// Hosts (host[:port]) that may be reached over plain HTTP; loopback always may.
    public var insecureRegistries: Set<String> = []
    public var credentials: CredentialStore?
    /// Attempts for a request that fails with 5xx, 429 or a broken connection.
    public var attempts = 5
    /// First backoff; doubled per retry.
    public var backoff: TimeInterval = 0.2
    /// Blobs larger than this are uploaded in PATCH chunks of this size (0: always monolithic).
    public var chunkSize: Int64 = 0
    /// Upload a blob as one PATCH + an empty PUT (skopeo's way) instead of a monolithic PUT.
    public var streamedUpload = false
    /// Seconds a request may wait for the registry (connect, or the next bytes of a response)
    /// before the attempt fails; each retry gets the same again.
    public var timeout: TimeInterval = 60
    public init() {}
}

/// An OCI distribution API client for one registry host: ping, blobs (HEAD, GET with resume,
/// monolithic and chunked upload, cross-repo mount), manifests; basic and bearer auth; retries.
public final class RegistryClient: @unchecked Sendable {
    // @unchecked: `tokens` is guarded by `lock`; the rest is immutable.
    public let host: String
    let base: URL
    let options: RegistryOptions
    let transport: HTTPTransport
    private let lock = NSLock()
    private var tokens: [String: String] = [:]
    private var basic: Credential?

    /// `host` as in a reference (`docker.io`, `127.0.0.1:5000`).
    /// `credential` overrides the stored login (used by `cnc login` to check new credentials).
    public init(host: String, options: RegistryOptions, credential: Credential? = nil) throws {
        self.host = host
        self.options = options
        let apiHost = host == ImageReference.defaultDomain ? "registry-1.docker.io" : host
        let scheme = Self.allowsPlainHTTP(host, insecure: options.insecureRegistries) ? "http" : "https"
        guard let url = URL(string: "\(scheme)://\(apiHost)") else {
            throw CNCError(.invalidArgument, "invalid registry host \"\(host)\"")
        }
        base = url
        transport = HTTPTransport(timeout: options.timeout)
        basic = try credential ?? options.credentials?.credential(for: host)
    }

    deinit { transport.invalidate() }

    /// Plain HTTP only for loopback hosts and those listed as insecure.
    public static func allowsPlainHTTP(_ host: String, insecure: Set<String>) -> Bool {
        if insecure.contains(host) { return true }
        var name = host
        if name.hasPrefix("["), let close = name.firstIndex(of: "]") {
            name = String(name[name.index(after: name.startIndex)..<close])
        } else if let colon = name.lastIndex(of: ":") {
            name = String(name[..<colon])
        }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        let loopbackV4 = octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
        return name == "localhost" || name == "::1" || loopbackV4
    }

    func url(_ path: String) -> URL {
        if path.hasPrefix("http://") || path.hasPrefix("https://"), let u = URL(string: path) { return u }
        return URL(string: path, relativeTo: base)?.absoluteURL ?? base
    }

    /// One request with auth and retries. `scope` is the token scope ("repository:NAME:pull,push").
    /// `sink` receives a 2xx body as it streams; `onRetry` runs before a retry (e.g. to resume a download).
    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: HTTPBody = .none, scope: String?,
              sink: ((HTTPURLResponse, Data) throws -> Void)? = nil,
              prepareRetry: (() throws -> [String: String])? = nil) throws -> HTTPResponse {
        var attempt = 0
        var authRetried = false
        var extraHeaders: [String: String] = [:]
        while true {
            attempt += 1
            var req = URLRequest(url: url(path))
            req.httpMethod = method
            req.timeoutInterval = options.timeout
            req.setValue("cnc/\(CNCVersion.current)", forHTTPHeaderField: "User-Agent")
            for (k, v) in headers.merging(extraHeaders, uniquingKeysWith: { $1 }) { req.setValue(v, forHTTPHeaderField: k) }
            if let auth = authorization(scope: scope) { req.setValue(auth, forHTTPHeaderField: "Authorization") }
            let response: HTTPResponse
            do {
                response = try transport.perform(req, body: body, sink: sink)
            } catch let e as CNCError {
                throw e  // the sink's own error (digest mismatch, disk): not a network problem
            } catch {
                guard attempt < options.attempts, Self.isRetryable(error) else {
                    throw CNCError(.network, "failed to reach registry \(host) (\(method) \(url(path).path))",
                                   cause: Self.describe(error))
                }
                Thread.sleep(forTimeInterval: options.backoff * pow(2, Double(attempt - 1)))
                if let prepareRetry { extraHeaders = try prepareRetry() }
                continue
            }
            if response.status == 401, !authRetried, let challenge = response.header("WWW-Authenticate") {
                authRetried = true
                try authenticate(challenge, scope: scope)
                attempt -= 1
                continue
            }
            if (response.status >= 500 || response.status == 429), attempt < options.attempts {
                Thread.sleep(forTimeInterval: options.backoff * pow(2, Double(attempt - 1)))
                if let prepareRetry { extraHeaders = try prepareRetry() }
                continue
            }
            return response
        }
    }

    static func isRetryable(_ error: any Error) -> Bool {
        if error is TransportError { return true }
        let ns = error as NSError
        guard ns.domain == NSURLErrorDomain else { return true }
        switch ns.code {
        case NSURLErrorCannotFindHost, NSURLErrorUnsupportedURL, NSURLErrorBadURL, NSURLErrorCancelled,
             NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted:
            return false
        default:
            return true
        }
    }

    static func describe(_ error: any Error) -> String {
        if let t = error as? TransportError { return t.description }
        let ns = error as NSError
        if ns.domain == NSURLErrorDomain {
            switch ns.code {
            case NSURLErrorCannotConnectToHost: return "connection refused"
            case NSURLErrorTimedOut: return "timed out"
            case NSURLErrorNetworkConnectionLost: return "connection reset"
            case NSURLErrorCannotFindHost: return "unknown host"
            default: return ns.localizedDescription
            }
        }
        return String(describing: error)
    }

    /// An error for a non-success response, with the registry's error codes when it sent them.
    func failure(_ what: String, _ r: HTTPResponse) -> CNCError {
        struct Errors: Decodable { struct E: Decodable { var code: String; var message: String? }; var errors: [E] }
        var cause = "HTTP \(r.status)"
        if let e = try? JSONDecoder().decode(Errors.self, from: Data(r.body)), !e.errors.isEmpty {
            cause += ": " + e.errors.map { "\($0.code)" + ($0.message.map { " (\($0))" } ?? "") }.joined(separator: ", ")
        }
        let code: CNCError.Code
        switch r.status {
        case 401, 403: code = .permissionDenied
        case 404: code = .notFound
        case 400...499: code = .invalidArgument
        default: code = .network
        }
        if r.status == 401 || r.status == 403 { cause += "; authentication required or denied: run cnc login \(host)" }
        return CNCError(code, "failed to \(what)", cause: cause, context: ["registry": host])
    }

    // MARK: auth

    private func authorization(scope: String?) -> String? {
        lock.lock()
        defer { lock.unlock() }
        if let t = tokens[scope ?? ""] ?? tokens["*"] { return "Bearer \(t)" }
        if tokens["basic"] != nil, let b = basic {
            return "Basic " + Data("\(b.username):\(b.password)".utf8).base64EncodedString()
        }
        return nil
    }

    /// Answers a 401 challenge: Basic uses the stored login; Bearer fetches a token from the realm.
    func authenticate(_ challenge: String, scope: String?) throws {
        let (scheme, params) = Self.parseChallenge(challenge)
        switch scheme.lowercased() {
        case "basic":
            guard basic != nil else {
                throw CNCError(.permissionDenied, "failed to authenticate to \(host): no credentials; run cnc login \(host)")
            }
            lock.lock(); tokens["basic"] = "1"; lock.unlock()
        case "bearer":
            guard let realm = params["realm"], var comps = URLComponents(string: realm) else {
                throw CNCError(.permissionDenied, "failed to authenticate to \(host): bearer challenge without a realm")
            }
            var items = comps.queryItems ?? []
            if let service = params["service"] { items.append(URLQueryItem(name: "service", value: service)) }
            if let s = scope ?? params["scope"] { items.append(URLQueryItem(name: "scope", value: s)) }
            comps.queryItems = items
            guard let url = comps.url else { throw CNCError(.permissionDenied, "invalid token realm \(realm)") }
            var req = URLRequest(url: url)
            if let b = basic {
                req.setValue("Basic " + Data("\(b.username):\(b.password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
            }
            let r: HTTPResponse
            do { r = try transport.perform(req, body: .none) } catch {
                throw CNCError(.network, "failed to get a token from \(realm)", cause: Self.describe(error))
            }
            guard r.status == 200 else {
                throw CNCError(.permissionDenied, "failed to authenticate to \(host): token server answered HTTP \(r.status)",
                               cause: basic == nil ? "no credentials; run cnc login \(host)" : "credentials rejected")
            }
            struct Token: Decodable { var token: String?; var access_token: String? }
            guard let t = try? JSONDecoder().decode(Token.self, from: Data(r.body)), let token = t.token ?? t.access_token else {
                throw CNCError(.permissionDenied, "failed to authenticate to \(host): token server sent no token")
            }
            lock.lock(); tokens[scope ?? ""] = token; lock.unlock()
        default:
            throw CNCError(.unsupported, "failed to authenticate to \(host): unsupported scheme \(scheme)")
        }
    }

    /// `Bearer realm="https://a/token",service="reg",scope="repository:x:pull"` -> ("Bearer", [...]).
    public static func parseChallenge(_ header: String) -> (String, [String: String]) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else { return (trimmed, [:]) }
        let scheme = String(trimmed[..<space])
        var params: [String: String] = [:]
        var rest = Substring(trimmed[space...])
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let c = rest.first, c != "\"" {
                    if c == "\\" { rest = rest.dropFirst() }
                    if let c2 = rest.first { value.append(c2); rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            params[key] = value
        }
        return (scheme, params)
    }

    /// GET /v2/: reachability and credentials check (`cnc login`).
    public func ping() throws {
        let r = try send("GET", "/v2/", scope: nil)
        guard r.status == 200 else { throw failure("log in to \(host)", r) }
    }
}
