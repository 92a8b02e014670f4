import CNCCore
import CNCSystem
import Foundation
import Synchronization

/// One HTTP/1.1 request, read whole (headers capped, body by Content-Length, capped).
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The path, without the query string.
    public var path: String
    /// Header names lowercased; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]
}

public struct HTTPResponse: Error, Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 202: "Accepted"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }

    var bytes: [UInt8] {
        Array("HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
    }
}

/// A small HTTP/1.1 server for the agent's endpoints: one request per connection, each on a
/// thread of its own (at most `maxConnections` at once, more get 503), headers capped at
/// `maxHeaderBytes`, bodies at `maxBodyBytes`, every read timing out and a whole request
/// bounded by `requestTimeout`, so a slow or hostile client costs one thread for a few seconds
/// and never reaches the agent's loop. The handler runs on the connection's thread and must
/// not block (the agent's handler reads a snapshot and signals the loop).
public final class HTTPServer: Sendable {
    public struct Limits: Sendable {
        public var maxHeaderBytes = 16 * 1024
        public var maxBodyBytes = 5 * 1024 * 1024
        public var ioTimeoutSeconds = 5
        public var requestTimeout: Duration = .seconds(10)
        public var maxConnections = 16
        public init() {}
    }

    let listener: TCPListener
    let limits: Limits
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let running = Atomic<Bool>(true)
    let active = Atomic<Int>(0)

    public var port: UInt16 { listener.port }

    /// Binds `address`:`port` now (a bad address or a taken port is an error here, before the
    /// agent starts); serving starts with `start()`.
    public init(address: IPv4Address, port: UInt16, limits: Limits = Limits(),
                handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws {
        listener = try TCPListener(address: address, port: port)
        self.limits = limits
        self.handler = handler
    }

    public func start() {
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) {
                guard let conn = try? listener.accept(timeoutMilliseconds: 250, ioTimeout: limits.ioTimeoutSeconds) else { continue }
                if active.wrappingAdd(1, ordering: .relaxed).newValue > limits.maxConnections {
                    try? conn.send(HTTPResponse(status: 503, body: "too many connections\n").bytes)
                    conn.close()
                    active.wrappingSubtract(1, ordering: .relaxed)
                    continue
                }
                let worker = Thread { [self] in
                    serve(conn)
                    active.wrappingSubtract(1, ordering: .relaxed)
                }
                worker.name = "http-conn"
                worker.start()
            }
            listener.close()
        }
        thread.name = "http-accept"
        thread.start()
    }

    public func stop() { running.store(false, ordering: .relaxed) }

    func serve(_ conn: TCPConnection) {
        defer { conn.close() }
        let response: HTTPResponse
        switch read(conn) {
        case .success(let request): response = handler(request)
        case .failure(let r): response = r
        }
        try? conn.send(response.bytes)
    }

    /// Reads one request; a failure is the response to send (4xx), or a closed connection.
    func read(_ conn: TCPConnection) -> Result<HTTPRequest, HTTPResponse> {
        let deadline = ContinuousClock.now + limits.requestTimeout
        var buf = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        func more() -> Bool {
            guard ContinuousClock.now < deadline,
                  let n = try? chunk.withUnsafeMutableBytes({ try conn.receive(into: $0) }), n > 0 else { return false }
            buf += chunk[0..<n]
            return true
        }
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.headerEnd(buf)
            if headEnd != nil { break }
            if buf.count > limits.maxHeaderBytes { return .failure(HTTPResponse(status: 431, body: "request headers too large\n")) }
            if !more() { return .failure(HTTPResponse(status: 408, body: "request timed out or was cut short\n")) }
        }
        guard let end = headEnd, end <= limits.maxHeaderBytes, var request = Self.parseHead(Array(buf[0..<end])) else {
            return .failure(HTTPResponse(status: buf.count > limits.maxHeaderBytes ? 431 : 400, body: "malformed request\n"))
        }
        if request.headers["transfer-encoding"] != nil {
            return .failure(HTTPResponse(status: 411, body: "send the body with a Content-Length\n"))
        }
        let length = Int(request.headers["content-length"] ?? "0") ?? -1
        guard length >= 0 else { return .failure(HTTPResponse(status: 400, body: "bad Content-Length\n")) }
        guard length <= limits.maxBodyBytes else { return .failure(HTTPResponse(status: 413, body: "request body too large\n")) }
        let bodyStart = end + 4
        while buf.count - bodyStart < length {
            if !more() { return .failure(HTTPResponse(status: 408, body: "request timed out or was cut short\n")) }
        }
        request.body = Array(buf[bodyStart..<(bodyStart + length)])
        return .success(request)
    }

    static func headerEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }

    /// The request line and headers (no body yet); nil when malformed.
    static func parseHead(_ head: [UInt8]) -> HTTPRequest? {
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let target = String(parts[1])
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        return HTTPRequest(method: String(parts[0]), path: path, headers: headers, body: [])
    }
}
