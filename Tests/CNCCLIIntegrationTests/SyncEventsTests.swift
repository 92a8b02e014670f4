import CNCCore
import CNCGitOps
import CNCSystem
import Foundation
import Glibc
import Testing

/// `cncapply sync` end to end for what its report feeds: notifications on drift and rollback
/// (a receiver on 127.0.0.1), `--once` exit codes, Gitea and GitLab push webhooks, and SIGTERM
/// in the middle of a cycle.
@Suite(.serialized) struct SyncEventsTests {
    struct Event: Decodable { var version: Int; var event: String; var commit: String?; var app: SyncAppReport }

    func once(_ app: AppRoot, _ repo: TestGitRepo, _ extra: [String] = []) throws -> (CLI.Result, SyncCycleReport?) {
        try syncOnce(app, repo, extra)
    }

    @Test func driftAndRollbackNotificationsAndOnceExitCodes() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        let received = ReceivedBodies()
        let receiver = try received.receiver()
        defer { receiver.stop() }
        let notify = ["--notify", "http://127.0.0.1:\(receiver.port)/events"]
        let events = { try received.all.map { try JSONDecoder().decode(Event.self, from: Data($0.utf8)) } }

        // Applied, then in sync: exit 0, nothing to announce.
        let c1 = try repo.commit(["apps/web.yaml": syncSpec(env: "1")])
        var (r, report) = try once(app, repo, notify)
        #expect(r.status == 0 && report?.apps.first?.outcome == .applied, "\(r.stdout)\(r.stderr)")
        (r, report) = try once(app, repo, notify)
        #expect(r.status == 0 && report?.apps.first?.outcome == .inSync, "\(r.stdout)")
        #expect(received.all.isEmpty)

        // Drift (reported only): exit 0, one drift event with the typed item.
        #expect(try CLI.run("cnc", ["stop", "--root", app.root, "-t", "0", "web-web-1"]).status == 0)
        (r, report) = try once(app, repo, notify)
        #expect(r.status == 0 && report?.apps.first?.outcome == .drift, "\(r.stdout)")
        var seen = try events()
        #expect(seen.count == 1 && seen.first?.event == "drift" && seen.first?.commit == c1, "\(received.all)")
        #expect(seen.first?.app.drift.map(\.kind) == [.stopped] && seen.first?.app.drift.first?.subject == "web-web-1", "\(received.all)")
        (r, report) = try once(app, repo, notify + ["--self-heal"])
        #expect(r.status == 0 && report?.apps.first?.outcome == .healed, "\(r.stdout)")
        seen = try events()
        #expect(seen.count == 2 && seen.last?.event == "drift" && seen.last?.app.outcome == .healed, "\(received.all)")

        // A failing deploy: exit 1 and one rollback event; the pinned cycles after it exit 1 and
        // announce nothing new.
        let c2 = try repo.commit(["apps/web.yaml": syncSpec(env: "2", health: ["CMD", "false"])])
        (r, report) = try once(app, repo, notify)
        #expect(r.status == 1 && report?.apps.first?.outcome == .rolledBack, "\(r.stdout)")
        seen = try events()
        #expect(seen.count == 3 && seen.last?.event == "rollback" && seen.last?.commit == c2, "\(received.all)")
        #expect(seen.last?.app.commit == c1 && seen.last?.app.message?.contains("rolled back to revision") == true, "\(received.all)")
        (r, report) = try once(app, repo, notify)
        #expect(r.status == 1 && report?.apps.first?.outcome == .pinned, "\(r.stdout)")
        #expect(received.all.count == 3)
        #expect(try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{json .Config.Env}}", "web-web-1"]).stdout.contains("V=1"))
        _ = try app.apply(["down", "-p", "web"])
    }

    @Test func giteaAndGitLabPushesApplyWithinASecond() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        try repo.commit(["apps/web.yaml": syncSpec(env: "1")])
        let (agent, hook, status) = try BackgroundSync.webhookAgent(app, repo)

        // Gitea: X-Gitea-Signature is the hex HMAC-SHA256 of the body.
        let c2 = try repo.commit(["apps/web.yaml": syncSpec(env: "2")])
        let gitea = Array(#"{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"\#(c2)","compare_url":"","commits":[],"repository":{"full_name":"ops/apps"}}"#.utf8)
        let badGitea = try http(hook, "POST", "/hooks/git", headers: ["X-Gitea-Event": "push", "X-Gitea-Signature": String(repeating: "ab", count: 32)], body: gitea)
        #expect(badGitea.status == 401)
        let goodGitea = try http(hook, "POST", "/hooks/git", headers: ["X-Gitea-Event": "push",
            "X-Gitea-Signature": Webhook.signature(gitea, secret: Array("s3cret".utf8))], body: gitea)
        #expect(goodGitea.status == 202 && goodGitea.body.contains("gitea push"), "\(goodGitea.body)")
        var took = try eventually(5) { try statusOf(status)?.lastCycle?.commit == c2 }
        #expect(took != nil && took! < 1.0, "applied after \(String(describing: took)) s")
        #expect(try statusOf(status)?.cycles == 2)
        #expect(try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{json .Config.Env}}", "web-web-1"]).stdout.contains("V=2"))

        // GitLab: X-Gitlab-Token is the secret itself.
        let c3 = try repo.commit(["apps/web.yaml": syncSpec(env: "3")])
        let gitlab = Array(#"{"object_kind":"push","event_name":"push","ref":"refs/heads/main","checkout_sha":"\#(c3)","after":"\#(c3)","project":{"path_with_namespace":"ops/apps"}}"#.utf8)
        let badGitlab = try http(hook, "POST", "/hooks/git", headers: ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "wrong"], body: gitlab)
        #expect(badGitlab.status == 401)
        let tagPush = try http(hook, "POST", "/hooks/git", headers: ["X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": "s3cret"], body: gitlab)
        #expect(tagPush.status == 202 && tagPush.body.contains("Tag Push Hook"), "\(tagPush.body)")
        usleep(1_000_000)
        #expect(try statusOf(status)?.cycles == 2)
        let goodGitlab = try http(hook, "POST", "/hooks/git", headers: ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "s3cret"], body: gitlab)
        #expect(goodGitlab.status == 202 && goodGitlab.body.contains("gitlab push"), "\(goodGitlab.body)")
        took = try eventually(5) { try statusOf(status)?.lastCycle?.commit == c3 }
        #expect(took != nil && took! < 1.0, "applied after \(String(describing: took)) s")
        #expect(try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{json .Config.Env}}", "web-web-1"]).stdout.contains("V=3"))

        agent.signal(SIGTERM)
        #expect(try agent.wait() == .exited(0))
        _ = try app.apply(["down", "-p", "web"])
    }

    /// SIGTERM while a cycle waits on a health gate: the cycle finishes (the app healthy, its
    /// revision succeeded, nothing half-done), the agent exits 0, and the root's lock is free.
    @Test func sigtermDuringACycleFinishesItAndReleasesTheLock() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        try repo.commit(["apps/web.yaml": syncSpec(health: ["CMD", "test", "-f", "/tmp/ok"], startPeriod: "10s",
                                                    command: #"["sh", "-c", "sleep 2; touch /tmp/ok; exec sleep 1000"]"#)])
        let agent = try BackgroundSync(app, ["--repo", repo.path, "--path", "apps", "--interval", "1h"])
        #expect(try eventually(20) { try app.containers()["web-web-1"] != nil } != nil, "\(agent.stderr)")
        agent.signal(SIGTERM)
        let started = Date()
        #expect(try agent.wait() == .exited(0), "\(agent.stdout)\(agent.stderr)")
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(agent.stdout.contains("web: applied (revision 1)"), "\(agent.stdout)\(agent.stderr)")
        #expect(try app.containers()["web-web-1"]?["_status"] == "running")
        let history = try app.apply(["history", "-p", "web"]).stdout
        #expect(history.contains("succeeded") && !history.contains("pending"), "\(history)")
        // The lock is free: the next cycle runs at once and finds nothing to do.
        let t = Date()
        let (r, report) = try once(app, repo)
        #expect(r.status == 0 && report?.apps.first?.outcome == .inSync, "\(r.stdout)\(r.stderr)")
        #expect(Date().timeIntervalSince(t) < 10)
        _ = try app.apply(["down", "-p", "web"])
    }
}
