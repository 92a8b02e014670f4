import CNCCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange's outcome.
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [String: String]
    /// The body, unless it was streamed to a sink.
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// What a request sends.
enum HTTPBody: Sendable {
    case none
    case bytes([UInt8])
    case file(String)
}

/// Synchronous HTTP over one URLSession (FoundationNetworking, libcurl underneath): light to
/// build and it speaks HTTP/1.1, TLS and proxies. Bodies can stream to a sink as they arrive;
/// the sink runs on the session's delegate thread, so it may block (backpressure).
final class HTTPTransport: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: `tasks` is guarded by `lock`; each TaskState is touched by one delegate callback at a time.
    private var session: URLSession!
    private let lock = NSLock()
    private var tasks: [Int: TaskState] = [:]
    private let queue: OperationQueue

    final class TaskState: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var response: HTTPURLResponse?
        var body: [UInt8] = []
        var sink: ((HTTPURLResponse, Data) throws -> Void)?
        var sinkError: (any Error)?
        var error: (any Error)?
        var bodyLimit: Int
        init(sink: ((HTTPURLResponse, Data) throws -> Void)?, bodyLimit: Int) {
            self.sink = sink
            self.bodyLimit = bodyLimit
        }
    }

    init(timeout: TimeInterval) {
        queue = OperationQueue()
        // Serial: URLSession delivers a task's data and completion in order only on a serial
        // delegate queue. On a concurrent one, chunks of a blob raced each other and the
        // completion could overtake the last chunk (truncated, mis-hashed layers under load).
        queue.maxConcurrentOperationCount = 1
        super.init()
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = 24 * 3600
        config.httpMaximumConnectionsPerHost = 8
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: config, delegate: self, delegateQueue: queue)
    }

    func invalidate() { session.finishTasksAndInvalidate() }

    /// For redirects from plain HTTP to https storage.
    static let shared = HTTPTransport(timeout: 60)

    /// Performs `request`; with a sink, a 2xx body is streamed to it instead of being kept.
    func perform(_ request: URLRequest, body: HTTPBody, bodyLimit: Int = 16 << 20,
                 sink: ((HTTPURLResponse, Data) throws -> Void)? = nil) throws -> HTTPResponse {
        if request.url?.scheme == "http" {
            return try PlainHTTP.perform(request, body: body, bodyLimit: bodyLimit, sink: sink)
        }
        var req = request
        let task: URLSessionTask
        switch body {
        case .none: task = session.dataTask(with: req)
        case .bytes(let b):
            req.httpBody = Data(b)
            task = session.dataTask(with: req)
        case .file(let path):
            // A mapped Data body: FoundationNetworking's fromFile upload reads in tiny pieces
            // (measured: 3x slower than skopeo, mostly system time); a mapped body is copied
            // straight into libcurl's buffers.
            req.httpBody = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            task = session.dataTask(with: req)
        }
        let state = TaskState(sink: sink, bodyLimit: bodyLimit)
        lock.lock()
        tasks[task.taskIdentifier] = state
        lock.unlock()
        task.resume()
        state.done.wait()
        lock.lock()
        tasks[task.taskIdentifier] = nil
        lock.unlock()
        if let e = state.sinkError { throw e }
        if let e = state.error { throw e }
        guard let r = state.response else { throw CNCError(.network, "no HTTP response") }
        var headers: [String: String] = [:]
        for (k, v) in r.allHeaderFields { headers[String(describing: k)] = String(describing: v) }
        return HTTPResponse(status: r.statusCode, headers: headers, body: state.body)
    }

    private func state(_ task: URLSessionTask) -> TaskState? {
        lock.lock()
        defer { lock.unlock() }
        return tasks[task.taskIdentifier]
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        state(dataTask)?.response = response as? HTTPURLResponse
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let s = state(dataTask) else { return }
        if let r = s.response, (200..<300).contains(r.statusCode), let sink = s.sink {
            do { try sink(r, data) } catch {
                s.sinkError = error
                dataTask.cancel()
            }
            return
        }
        if s.body.count + data.count > s.bodyLimit {
            s.sinkError = CNCError(.integrity, "response body larger than \(s.bodyLimit) bytes")
            dataTask.cancel()
            return
        }
        s.body.append(contentsOf: data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let s = state(task) else { return }
        if s.response == nil { s.response = task.response as? HTTPURLResponse }
        s.error = error
        // A cancelled auth challenge still carries the 401 and its WWW-Authenticate header.
        if let r = s.response, r.statusCode == 401, s.sinkError == nil { s.error = nil }
        s.done.signal()
    }

    /// cnc answers auth challenges itself (RegistryClient.authenticate). FoundationNetworking hangs
    /// on default handling of a Basic challenge, so cancel it and hand the 401 back (didComplete).
    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    /// Registries answer blob GETs with redirects to storage; those must not carry our token.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        var r = request
        if request.url?.host != task.originalRequest?.url?.host { r.setValue(nil, forHTTPHeaderField: "Authorization") }
        completionHandler(r)
    }
}
