import CNCCore
import CNCSystem
import Foundation

/// `--notify URL`: POSTs a JSON event (rollback, failure, drift) to a plain-HTTP endpoint.
/// Sent from a thread of its own with short timeouts; a receiver that fails or hangs is
/// reported on stderr and never stops or slows the agent.
public struct Notifier: Sendable {
    public let host: String
    public let port: Int
    public let path: String

    /// `http://host[:port][/path]`; other schemes are refused at start.
    public init(url: String) throws {
        guard url.hasPrefix("http://") else {
            throw CNCError(.invalidArgument, "invalid --notify URL \(url): only http:// URLs are supported")
        }
        let rest = url.dropFirst(7)
        let hostPort = rest.prefix { $0 != "/" }
        path = rest.count > hostPort.count ? String(rest.dropFirst(hostPort.count)) : "/"
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw CNCError(.invalidArgument, "invalid --notify URL \(url): bad port")
            }
            host = String(hostPort[..<colon])
            port = p
        } else {
            host = String(hostPort)
            port = 80
        }
        guard !host.isEmpty else { throw CNCError(.invalidArgument, "invalid --notify URL \(url): no host") }
    }

    /// Sends `body` in the background; `failed` hears of a failure (connect, send, non-2xx).
    public func post(_ body: [UInt8], failed: @escaping @Sendable (String) -> Void) {
        let thread = Thread { [self] in
            if let problem = send(body) { failed(problem) }
        }
        thread.name = "sync-notify"
        thread.start()
    }

    /// Sends `body` now; nil when the receiver answered 2xx, else what went wrong.
    public func send(_ body: [UInt8]) -> String? {
        do {
            let conn = try TCPConnection(host: host, port: port, timeout: 5)
            defer { conn.close() }
            let head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: cncapply-sync\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            try conn.send(Array(head.utf8) + body)
            var buf = [UInt8](repeating: 0, count: 512)
            let n = try buf.withUnsafeMutableBytes { try conn.receive(into: $0) }
            let line = String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\r\n").first ?? ""
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let code = Int(parts[1]) else { return "notify \(host):\(port)\(path): no HTTP answer" }
            return (200..<300).contains(code) ? nil : "notify \(host):\(port)\(path): answered \(code)"
        } catch {
            return "notify \(host):\(port)\(path): \(error)"
        }
    }
}
