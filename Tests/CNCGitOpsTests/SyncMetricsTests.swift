@testable import CNCGitOps
import CNCCore
import Testing

@Suite struct SyncMetricsTests {
    func cycle(_ apps: [SyncAppReport]) -> SyncCycleReport {
        SyncCycleReport(time: "2026-12-03T00:00:00Z", repo: "/srv/ops", branch: "main", commit: "0123456789abcdef0123456789abcdef01234567",
                        trigger: "timer", apps: apps, problems: [], durationMilliseconds: 12, cpuMilliseconds: 3)
    }

    @Test func renderedTextFormat() {
        var m = SyncMetrics()
        m.record(cycle([SyncAppReport(name: "web", path: "apps/web.yaml", outcome: .applied, commit: "0123456", applySeconds: 0.3),
                        SyncAppReport(name: "db\"x", path: "apps/db.yaml", outcome: .drift, commit: "0123456", drift: [DriftItem(kind: .stopped, service: "db", subject: "db-db-1", what: "not running")])]),
                 unixSeconds: 1_700_000_000)
        let text = m.render()
        #expect(text.contains("# TYPE cnc_sync_cycles_total counter\ncnc_sync_cycles_total{outcome=\"synced\"} 1\ncnc_sync_cycles_total{outcome=\"failed\"} 0\n"))
        #expect(text.contains("cnc_sync_last_cycle_timestamp_seconds 1700000000\n"))
        #expect(text.contains("cnc_sync_last_cycle_success 1\n"))
        #expect(text.contains("cnc_sync_app_outcome{app=\"web\",outcome=\"applied\",commit=\"0123456\"} 1\n"))
        #expect(text.contains("cnc_sync_drift_items{app=\"db\\\"x\"} 1\n"))
        #expect(text.contains("cnc_sync_apply_duration_seconds_bucket{le=\"0.25\"} 0\ncnc_sync_apply_duration_seconds_bucket{le=\"0.5\"} 1\n"))
        #expect(text.contains("cnc_sync_apply_duration_seconds_bucket{le=\"+Inf\"} 1\ncnc_sync_apply_duration_seconds_sum 0.3\ncnc_sync_apply_duration_seconds_count 1\n"))
        // Every sample line belongs to a family declared before it.
        var declared: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") { declared.insert(String(line.split(separator: " ")[2])); continue }
            if line.hasPrefix("#") { continue }
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            #expect(declared.contains { name == $0 || name.hasPrefix($0 + "_") }, "\(line)")
        }
    }

    @Test func aRollbackMakesTheCycleFail() {
        var m = SyncMetrics()
        let c = cycle([SyncAppReport(name: "web", path: "web.yaml", outcome: .rolledBack)])
        #expect(c.outcome == "failed")
        m.record(c, unixSeconds: 1)
        #expect(m.render().contains("cnc_sync_cycles_total{outcome=\"failed\"} 1\n"))
        #expect(m.render().contains("cnc_sync_last_cycle_success 0\n"))
    }
}

@Suite struct HTTPHeadTests {
    @Test func requestLineAndHeaders() throws {
        let head = Array("POST /hooks/git?x=1 HTTP/1.1\r\nHost: a\r\nX-Hub-Signature-256: sha256=ab\r\nContent-Length: 5".utf8)
        let r = try #require(HTTPServer.parseHead(head))
        #expect(r.method == "POST" && r.path == "/hooks/git")
        #expect(r.headers == ["host": "a", "x-hub-signature-256": "sha256=ab", "content-length": "5"])
    }

    @Test(arguments: ["GET /\r\n", "GET / HTTP/1.1\r\nno colon here", "", "GET / SPDY/3"])
    func malformed(head: String) {
        #expect(HTTPServer.parseHead(Array(head.utf8)) == nil)
    }

    @Test func headerEnd() {
        #expect(HTTPServer.headerEnd(Array("GET / HTTP/1.1\r\n\r\nbody".utf8)) == 14)
        #expect(HTTPServer.headerEnd(Array("GET / HTTP/1.1\r\n".utf8)) == nil)
    }
}
