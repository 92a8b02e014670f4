import CNCCore
import CNCGitOps
import Foundation

/// The agent's HTTP answers: `/healthz`, `/status` (JSON), `/metrics` (Prometheus text) and the
/// push webhook. They read the snapshot the loop publishes and signal the loop; nothing here
/// waits for a cycle.
enum SyncEndpoints {
    static func status(_ r: HTTPRequest, shared: SyncAgent.Shared) -> HTTPResponse {
        guard r.method == "GET" || r.method == "HEAD" else { return HTTPResponse(status: 405, body: "use GET\n") }
        switch r.path {
        case "/healthz":
            return HTTPResponse(status: 200, body: "ok\n")
        case "/status":
            let status = shared.withLock { $0.status }
            let body = (try? CanonicalJSON.string(status, pretty: true)) ?? "{}"
            return HTTPResponse(status: 200, contentType: "application/json", body: body)
        case "/metrics":
            return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: shared.withLock { $0.metrics.render() })
        default:
            return HTTPResponse(status: 404, body: "not found: /healthz, /status, /metrics\n")
        }
    }

    static func webhook(_ r: HTTPRequest, hook: Webhook, shared: SyncAgent.Shared, trigger: () -> Void) -> HTTPResponse {
        if r.path == "/healthz" { return status(r, shared: shared) }
        guard r.path == SyncAgent.webhookPath else { return HTTPResponse(status: 404, body: "not found: POST \(SyncAgent.webhookPath)\n") }
        guard r.method == "POST" else { return HTTPResponse(status: 405, body: "use POST\n") }
        switch hook.decide(headers: r.headers, body: r.body) {
        case .sync(let provider):
            trigger()
            return HTTPResponse(status: 202, body: "sync triggered (\(provider.rawValue) push to \(hook.branch))\n")
        case .ignored(let why):
            return HTTPResponse(status: 202, body: "ignored: \(why)\n")
        case .unauthorized(let why):
            return HTTPResponse(status: 401, body: "unauthorized: \(why)\n")
        case .badRequest(let why):
            return HTTPResponse(status: 400, body: "bad request: \(why)\n")
        }
    }
}
