import CNCCore
import CNCSystem
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A broken exchange (reset, early close, timeout): retryable, unlike a CNCError from a sink.
struct TransportError: Error, CustomStringConvertible {
    var description: String
}

/// HTTP/1.1 over a plain TCP socket, one connection per exchange, for http:// registries
/// (loopback and --insecure-registry hosts). Exists for speed: file bodies go out with
/// sendfile(2) and bodies come in with large reads, where URLSession's event loop costs
/// a wakeup per 64 KiB (measured on push: 4x the system time of skopeo).
enum PlainHTTP {
    static func perform(_ request: URLRequest, body: HTTPBody, bodyLimit: Int,
                        sink: ((HTTPURLResponse, Data) throws -> Void)?) throws -> HTTPResponse {
        var req = request
        for _ in 0..<5 {
            let r = try exchange(req, body: body, bodyLimit: bodyLimit, sink: sink)
            guard [301, 302, 303, 307, 308].contains(r.status), let loc = r.header("Location"),
                  let next = URL(string: loc, relativeTo: req.url)?.absoluteURL else { return r }
            if next.host != req.url?.host { req.setValue(nil, forHTTPHeaderField: "Authorization") }
            guard next.scheme == "http" else {
                // A redirect to https storage: hand over to URLSession.
                req.url = next
                return try HTTPTransport.shared.perform(req, body: body, bodyLimit: bodyLimit, sink: sink)
            }
            req.url = next
        }
        throw CNCError(.network, "too many redirects for \(request.url?.absoluteString ?? "?")")
    }

    static func exchange(_ req: URLRequest, body: HTTPBody, bodyLimit: Int,
                         sink: ((HTTPURLResponse, Data) throws -> Void)?) throws -> HTTPResponse {
        guard let url = req.url, let host = url.host else { throw CNCError(.invalidArgument, "bad URL \(req.url?.absoluteString ?? "")") }
        let method = req.httpMethod ?? "GET"
        let conn: TCPConnection
        // The request's timeout bounds connect and every send/receive: a registry that stalls
        // mid-body fails the exchange (retried with a Range request) instead of hanging the pull.
        let timeout = max(1, Int(req.timeoutInterval.rounded(.up)))
        do { conn = try TCPConnection(host: host, port: url.port ?? 80, timeout: timeout) } catch let e as CNCError {
            throw TransportError(e, timeout: timeout)
        }
        defer { conn.close() }
        // URL.path drops a trailing "/", which the registry's routes need (uploads/).
        let comps = URLComponents(url: url, resolvingAgainstBaseURL: true)
        var target = comps?.percentEncodedPath ?? "/"
        if target.isEmpty { target = "/" }
        if let q = comps?.percentEncodedQuery { target += "?" + q }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\(url.port.map { ":\($0)" } ?? "")\r\nConnection: close\r\n"
        var headers = req.allHTTPHeaderFields ?? [:]
        var file: FileStream?
        switch body {
        case .none:
            if method == "PUT" || method == "POST" || method == "PATCH" { headers["Content-Length"] = headers["Content-Length"] ?? "0" }
        case .bytes(let b): headers["Content-Length"] = String(b.count)
        case .file(let path):
            let f = try FileStream.openForReading(path)
            file = f
            headers["Content-Length"] = String(try f.size())
        }
        defer { file?.close() }
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        do {
            try conn.send(Array(head.utf8))
            switch body {
            case .none: break
            case .bytes(let b): try conn.send(b)
            case .file: if let f = file { try conn.sendFile(f.fd, count: try f.size()) }
            }
        } catch let e as CNCError where e.errnoCode != nil {
            throw TransportError(e, timeout: timeout)
        }
        // Socket errors become TransportErrors inside the reader; an error the sink throws (a
        // refused layer entry, a full disk) passes through untouched, so it is never retried.
        return try ResponseReader(conn, timeout: timeout).read(url: url, isHead: method == "HEAD", bodyLimit: bodyLimit, sink: sink)
    }
}

extension TransportError {
    /// A socket error as a retryable transport error; a receive/send timeout says so plainly.
    init(_ e: CNCError, timeout: Int) {
        switch e.errnoCode {
        case ECONNREFUSED: self.init(description: "connection refused")
        case EAGAIN, EWOULDBLOCK, ETIMEDOUT, EINPROGRESS:
            self.init(description: "timed out: no data from the registry for \(timeout) s (\(e.description))")
        default: self.init(description: e.description)
        }
    }
}

/// Parses one HTTP/1.1 response: status line, headers, a body by Content-Length, chunked, or to EOF.
final class ResponseReader {
    let conn: TCPConnection
    let timeout: Int
    var buf = [UInt8](repeating: 0, count: 1 << 20)
    var start = 0, end = 0

    init(_ conn: TCPConnection, timeout: Int) {
        self.conn = conn
        self.timeout = timeout
    }

    func fill() throws -> Bool {
        if start > 0 && start == end { start = 0; end = 0 }
        if end == buf.count {
            buf.removeSubrange(0..<start); end -= start; start = 0
            if end == buf.count { buf += [UInt8](repeating: 0, count: buf.count) }
        }
        let n: Int
        do {
            n = try buf.withUnsafeMutableBytes { try conn.receive(into: UnsafeMutableRawBufferPointer(rebasing: $0[end...])) }
        } catch let e as CNCError where e.errnoCode != nil {
            throw TransportError(e, timeout: timeout)
        }
        end += n
        return n > 0
    }

    func line() throws -> String {
        while true {
            if let i = buf[start..<end].firstIndex(of: 0x0a) {
                var l = buf[start..<i]
                if l.last == 0x0d { l = l.dropLast() }
                start = i + 1
                return String(decoding: l, as: UTF8.self)
            }
            guard try fill() else { throw TransportError(description: "connection closed in the response head") }
        }
    }

    func read(url: URL, isHead: Bool, bodyLimit: Int, sink: ((HTTPURLResponse, Data) throws -> Void)?) throws -> HTTPResponse {
        let status = try line().split(separator: " ")
        guard status.count >= 2, let code = Int(status[1]) else { throw TransportError(description: "bad status line") }
        var headers: [String: String] = [:]
        while true {
            let l = try line()
            if l.isEmpty { break }
            if let c = l.firstIndex(of: ":") {
                headers[String(l[..<c])] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
            }
        }
        if code == 100 { return try read(url: url, isHead: isHead, bodyLimit: bodyLimit, sink: sink) }
        var response = HTTPResponse(status: code, headers: headers, body: [])
        if isHead || code == 204 || code == 304 { return response }
        let useSink = (200..<300).contains(code) ? sink : nil
        let httpResponse = HTTPURLResponse(url: url, statusCode: code, httpVersion: "HTTP/1.1", headerFields: headers)
        func deliver(_ slice: ArraySlice<UInt8>) throws {
            if let useSink, let httpResponse {
                try slice.withUnsafeBytes { try useSink(httpResponse, Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0.baseAddress!), count: $0.count, deallocator: .none)) }
            } else {
                guard response.body.count + slice.count <= bodyLimit else {
                    throw CNCError(.integrity, "response body larger than \(bodyLimit) bytes")
                }
                response.body += slice
            }
        }
        if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try line()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw TransportError(description: "bad chunk size")
                }
                if size == 0 { _ = try? line(); break }
                var left = size
                while left > 0 {
                    if start == end { guard try fill() else { throw TransportError(description: "connection closed in a chunk") } }
                    let n = min(left, end - start)
                    try deliver(buf[start..<(start + n)])
                    start += n
                    left -= n
                }
                _ = try line()
            }
        } else if let lengthText = response.header("Content-Length"), let length = Int64(lengthText) {
            var left = length
            while left > 0 {
                if start == end { guard try fill() else { throw TransportError(description: "connection closed after \(length - left) of \(length) bytes") } }
                let n = Int(min(left, Int64(end - start)))
                try deliver(buf[start..<(start + n)])
                start += n
                left -= Int64(n)
            }
        } else {
            while true {
                if start < end { try deliver(buf[start..<end]); start = end }
                guard try fill() else { break }
            }
        }
        return response
    }
}
