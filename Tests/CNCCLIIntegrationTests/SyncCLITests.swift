import CNCCore
import CNCGitOps
import CNCSystem
import Foundation
import Glibc
import Testing

/// A git repository the test makes and commits to (local only: no network).
final class TestGitRepo {
    let path: String

    init(_ path: String) throws {
        self.path = path
        try git(["init", "-q", "-b", "main", path], cwd: nil)
    }

    @discardableResult
    func git(_ args: [String], cwd: String? = "") throws -> String {
        let r = try CLI.exec("/usr/bin/git", ["-c", "user.name=cnc test", "-c", "user.email=test@cnc.invalid"] + args,
                             cwd: cwd == "" ? path : cwd)
        guard r.status == 0 else { throw CNCError(.system, "git \(args.joined(separator: " ")): \(r.stderr)") }
        return r.stdout
    }

    /// Writes `files` (nil removes one) and commits them all; returns the new commit.
    @discardableResult
    func commit(_ files: [String: String?], message: String = "change") throws -> String {
        for (name, text) in files {
            let p = path + "/" + name
            if let text {
                try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: p, atomically: true, encoding: .utf8)
            } else {
                try FileManager.default.removeItem(atPath: p)
            }
        }
        try git(["add", "-A"])
        try git(["commit", "-q", "-m", message])
        return try git(["rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// An app spec for sync tests: one busybox service without networking (no bridge to clean up).
func syncSpec(env: String = "1", health: [String]? = nil, startPeriod: String = "0s", command: String = #"["sleep", "1000"]"#, startFirst: Bool = false) -> String {
    var s = """
    services:
      web:
        image: app:stable
        command: \(command)
        network_mode: none
        stop_grace_period: 0s
        environment:
          V: "\(env)"

    """
    if startFirst { s += "    deploy:\n      update_config: {order: start-first}\n" }
    if let health {
        s += """
            healthcheck:
              test: [\(health.map { "\"\($0)\"" }.joined(separator: ", "))]
              interval: 100ms
              timeout: 1s
              retries: 1
              start_period: \(startPeriod)

        """
    }
    return s
}

/// A `cncapply sync` running in the background, its output in files, stopped by pid.
final class BackgroundSync {
    let pid: pid_t
    let out: String
    let err: String

    init(_ app: AppRoot, _ args: [String]) throws {
        out = app.dir + "/sync-\(UUID().uuidString).out"
        err = out + ".err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let o = open(out, O_WRONLY | O_CLOEXEC), e = open(err, O_WRONLY | O_CLOEXEC), n = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(o); close(e); close(n) }
        var opts = Spawn.Options()
        opts.fdMap = [n, o, e]
        let bin = CLI.binDir + "/cncapply"
        pid = try Spawn.spawn(bin, arguments: [bin, "sync", "--root", app.root] + args,
                              environment: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }, options: opts)
    }

    var stdout: String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: err, encoding: .utf8)) ?? "" }

    /// The port of the line `<what>: http://127.0.0.1:PORT...` it printed at start.
    func port(_ what: String) throws -> Int {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            for line in stderr.split(separator: "\n") where line.hasPrefix(what + ": http://127.0.0.1:") {
                let rest = line.dropFirst((what + ": http://127.0.0.1:").count)
                if let p = Int(rest.prefix { $0.isNumber }) { return p }
            }
            usleep(50_000)
        }
        throw CNCError(.timeout, "no \(what) address printed: \(stderr)")
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    func wait() throws -> Spawn.Termination { try Spawn.wait(pid) }

    deinit {
        if kill(pid, 0) == 0 {
            kill(pid, SIGKILL)
            _ = try? Spawn.wait(pid)
        }
    }
}

extension BackgroundSync {
    /// An agent on `repo`'s apps/ with an hour's interval (only a webhook makes it sync), the
    /// webhook secret `s3cret` and a status endpoint; returned after its first cycle.
    static func webhookAgent(_ app: AppRoot, _ repo: TestGitRepo) throws -> (agent: BackgroundSync, hook: Int, status: Int) {
        let secretFile = app.dir + "/hook.secret"
        try "s3cret\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let agent = try BackgroundSync(app, ["--repo", repo.path, "--path", "apps", "--interval", "1h", "-o", "json",
                                             "--webhook", "127.0.0.1:0", "--webhook-secret-file", secretFile,
                                             "--status-addr", "127.0.0.1:0"])
        let hook = try agent.port("webhook"), status = try agent.port("status")
        #expect(try eventually(20) { try statusOf(status)?.cycles == 1 } != nil, "\(agent.stderr)")
        return (agent, hook, status)
    }
}

/// One HTTP/1.1 request to 127.0.0.1:`port`.
func http(_ port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) throws -> (status: Int, body: String) {
    let c = try TCPConnection(host: "127.0.0.1", port: port, timeout: 10)
    defer { c.close() }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
    for (k, v) in headers { head += "\(k): \(v)\r\n" }
    try c.send(Array((head + "\r\n").utf8) + body)
    var all: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try buf.withUnsafeMutableBytes { try c.receive(into: $0) }
        if n == 0 { break }
        all += buf[0..<n]
    }
    let text = String(decoding: all, as: UTF8.self)
    let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
    let bodyText = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (status, bodyText)
}

/// The agent's `/status`, decoded.
func statusOf(_ port: Int) throws -> SyncStatus? {
    try? JSONDecoder().decode(SyncStatus.self, from: Data(http(port, "GET", "/status").body.utf8))
}

/// Polls `check` every 50 ms until it is true or `seconds` passed; returns how long it took.
func eventually(_ seconds: Double, _ check: () throws -> Bool) rethrows -> Double? {
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
        if try check() { return Date().timeIntervalSince(start) }
        usleep(50_000)
    }
    return nil
}

@Suite(.serialized) struct SyncCLITests {
    func once(_ app: AppRoot, _ repo: TestGitRepo, _ extra: [String] = []) throws -> (CLI.Result, SyncCycleReport?) {
        try syncOnce(app, repo, extra)
    }

    func env(_ app: AppRoot, _ name: String) throws -> String {
        try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{json .Config.Env}}", name]).stdout
    }

    @Test func commitsBrokenCommitsRollbackPinAndPrune() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        let c1 = try repo.commit(["apps/web.yaml": syncSpec(env: "1"), "apps/shop/compose.yaml": syncSpec(env: "s")])

        // A commit is applied; each revision records where it came from.
        var (r, report) = try once(app, repo)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(report?.commit == c1)
        #expect(report?.apps.map(\.name) == ["shop", "web"])
        #expect(report?.apps.allSatisfy { $0.outcome == .applied } == true, "\(r.stdout)")
        #expect(Set(try app.containers().keys) == ["shop-web-1", "web-web-1"])
        let history = try app.apply(["history", "-p", "web"])
        #expect(history.stdout.contains("COMMIT") && history.stdout.contains(String(c1.prefix(7))), "\(history.stdout)")
        let json = try app.apply(["history", "-p", "web", "-o", "json"])
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        let origin = rows?.last?["origin"] as? [String: String]
        #expect(origin == ["repo": repo.path, "branch": "main", "commit": c1, "path": "apps/web.yaml"], "\(json.stdout)")

        // Nothing new: in sync, nothing recorded.
        (r, report) = try once(app, repo)
        #expect(r.status == 0 && report?.apps.allSatisfy { $0.outcome == .inSync } == true, "\(r.stdout)")

        // A commit that does not compile changes nothing and says where.
        let before = try app.containers()
        let c2 = try repo.commit(["apps/web.yaml": syncSpec(env: "2").replacingOccurrences(of: "network_mode: none", with: "network_mode: none\n    replicas: two")])
        (r, report) = try once(app, repo)
        #expect(r.status == 1)
        let web = report?.apps.first { $0.name == "web" }
        #expect(web?.outcome == .specError)
        #expect(web?.errors.contains { $0.hasPrefix("apps/web.yaml:") && $0.contains("replicas") } == true, "\(r.stdout)")
        #expect(web?.message?.contains(String(c2.prefix(7))) == true)
        #expect(report?.apps.first { $0.name == "shop" }?.outcome == .inSync)
        #expect(try app.containers() == before)

        // A failed health gate rolls back (no failure_action in the spec) and pins the app.
        let c3 = try repo.commit(["apps/web.yaml": syncSpec(env: "3", health: ["CMD", "false"])])
        (r, report) = try once(app, repo)
        #expect(r.status == 1)
        #expect(report?.apps.first { $0.name == "web" }?.outcome == .rolledBack, "\(r.stdout)")
        #expect(report?.apps.first { $0.name == "web" }?.commit == c1)
        #expect(try env(app, "web-web-1").contains("V=1"))
        (r, report) = try once(app, repo)
        #expect(r.status == 1)
        #expect(report?.apps.first { $0.name == "web" }?.outcome == .pinned, "\(r.stdout)")
        #expect(report?.apps.first { $0.name == "web" }?.message?.contains(String(c3.prefix(7))) == true)
        #expect(try env(app, "web-web-1").contains("V=1"))
        let text = try app.apply(["history", "-p", "web"]).stdout
        #expect(text.contains("rolled-back") && text.contains(String(c3.prefix(7))), "\(text)")

        // A new commit unpins: applied.
        let c4 = try repo.commit(["apps/web.yaml": syncSpec(env: "4")])
        (r, report) = try once(app, repo)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(report?.apps.first { $0.name == "web" }?.outcome == .applied)
        #expect(report?.apps.first { $0.name == "web" }?.commit == c4)
        #expect(try env(app, "web-web-1").contains("V=4"))

        // An app gone from the repo stays without --prune, and goes with it.
        try repo.commit(["apps/shop/compose.yaml": nil])
        (r, report) = try once(app, repo)
        #expect(r.status == 0)
        #expect(report?.apps.first { $0.name == "shop" }?.outcome == .orphaned, "\(r.stdout)")
        #expect(try app.containers().keys.contains("shop-web-1"))
        (r, report) = try once(app, repo, ["--prune"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(report?.apps.first { $0.name == "shop" }?.outcome == .pruned, "\(r.stdout)")
        #expect(Set(try app.containers().keys) == ["web-web-1"])
        (r, report) = try once(app, repo, ["--prune"])
        #expect(report?.apps.map(\.name) == ["web"])
        _ = try app.apply(["down", "-p", "web"])
    }

    @Test func driftIsReportedAndHealedOnlyWithSelfHeal() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        try repo.commit(["apps/web.yaml": syncSpec()])
        var (r, report) = try once(app, repo)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run("cnc", ["rm", "-f", "--root", app.root, "web-web-1"]).status == 0)
        (r, report) = try once(app, repo)
        #expect(r.status == 0)
        #expect(report?.apps.first?.outcome == .drift)
        #expect(report?.apps.first?.drift == [DriftItem(kind: .removed, service: "web", subject: "web-web-1", what: "container missing",
                                                      expected: "running", found: "missing")], "\(r.stdout)")
        #expect(try app.containers().isEmpty)
        (r, report) = try once(app, repo, ["--self-heal"])
        #expect(report?.apps.first?.outcome == .healed, "\(r.stdout)")
        #expect(Set(try app.containers().keys) == ["web-web-1"])
        (r, report) = try once(app, repo, ["--self-heal"])
        #expect(report?.apps.first?.outcome == .inSync)
        _ = try app.apply(["down", "-p", "web"])
    }

    /// A tag moved by hand and a spec file of the agent's checkout edited by hand: reported as
    /// `cncapply status` reports them (which works for an app the agent applied), left alone
    /// without --self-heal, and converged back with it: the tag points at the revision's image
    /// again (the containers keep running it) and the file is checked out again from the commit.
    @Test func retaggedImageAndEditedCheckoutAreReportedAndHealedBack() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        let c1 = try repo.commit(["apps/web.yaml": syncSpec()])
        var (r, report) = try once(app, repo)
        #expect(r.status == 0, "\(r.stderr)")
        let status = try app.apply(["status", "-p", "web"])
        #expect(status.status == 0 && status.stdout.contains("Drift: none (as revision 1 left it)"), "\(status.stdout)\(status.stderr)")
        let image = try #require(try app.containers()["web-web-1"]?["cnc.image-digest"])
        let digestOfTag = { try CLI.run("cnc", ["image", "inspect", "--root", app.root, "--format", "{{.Id}}", "app:stable"]).stdout }
        let tagBefore = try digestOfTag()

        // The tag re-pointed by hand.
        try app.importImage("app:stable", marker: "v2")
        #expect(try digestOfTag() != tagBefore)
        (r, report) = try once(app, repo)
        #expect(r.status == 0, "\(r.stdout)")
        #expect(report?.apps.first?.outcome == .drift)
        #expect(report?.apps.first?.drift.map(\.kind) == [.imageRetagged], "\(r.stdout)")
        #expect(report?.apps.first?.drift.first?.expected == image, "\(r.stdout)")
        (r, report) = try once(app, repo, ["--self-heal"])
        #expect(report?.apps.first?.outcome == .healed, "\(r.stdout)")
        #expect(try digestOfTag() == tagBefore)
        #expect(try app.containers()["web-web-1"]?["cnc.image-digest"] == image)
        #expect(try app.apply(["status", "-p", "web"]).status == 0)

        // The spec edited in the agent's checkout of the commit.
        let checkout = try #require(try FileManager.default.subpathsOfDirectory(atPath: app.root + "/gitops")
            .first { $0.hasSuffix("/trees/\(c1)/apps/web.yaml") }.map { app.root + "/gitops/" + $0 })
        try syncSpec(env: "9").write(toFile: checkout, atomically: true, encoding: .utf8)
        let json = try app.apply(["status", "-p", "web", "-o", "json"])
        #expect(json.status == 1)
        struct Status: Decodable { var drift: [DriftItem] }
        let items = try JSONDecoder().decode(Status.self, from: Data(json.stdout.utf8)).drift
        #expect(items == [DriftItem(kind: .specEdited, subject: checkout, what: "file edited", expected: items.first?.expected,
                                    found: items.first?.found)], "\(json.stdout)")
        (r, report) = try once(app, repo)
        #expect(report?.apps.first?.outcome == .drift && report?.apps.first?.drift.map(\.kind) == [.specEdited], "\(r.stdout)")
        #expect(try env(app, "web-web-1").contains("V=1"))
        (r, report) = try once(app, repo, ["--self-heal"])
        #expect(report?.apps.first?.outcome == .healed, "\(r.stdout)")
        #expect(try String(contentsOfFile: checkout, encoding: .utf8) == syncSpec())
        #expect(try env(app, "web-web-1").contains("V=1"))
        #expect(try app.apply(["status", "-p", "web"]).status == 0)
        _ = try app.apply(["down", "-p", "web"])
    }

    @Test func timerWebhookAndStatusEndpoints() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        try repo.commit(["apps/web.yaml": syncSpec(env: "1")])

        // The webhook agent: a long interval, so only a webhook makes it sync.
        let (agent, hook, status) = try BackgroundSync.webhookAgent(app, repo)
        #expect(try http(status, "GET", "/healthz") == (200, "ok\n"))
        let c2 = try repo.commit(["apps/web.yaml": syncSpec(env: "2")])
        let body = Array(#"{"ref":"refs/heads/main","after":"\#(c2)"}"#.utf8)

        // A bad signature is refused and nothing runs.
        let bad = try http(hook, "POST", "/hooks/git", headers: ["X-Hub-Signature-256": "sha256=" + String(repeating: "0", count: 64),
                                                               "X-GitHub-Event": "push"], body: body)
        #expect(bad.status == 401)
        usleep(1_500_000)
        #expect(try env(app, "web-web-1").contains("V=1"))
        #expect(try statusOf(status)?.cycles == 1)

        // A signed push applies within a second.
        let good = try http(hook, "POST", "/hooks/git", headers: ["X-Hub-Signature-256": "sha256=" + Webhook.signature(body, secret: Array("s3cret".utf8)),
                                                                "X-GitHub-Event": "push"], body: body)
        #expect(good.status == 202, "\(good.body)")
        let took = try eventually(5) { try statusOf(status)?.lastCycle?.commit == c2 }
        #expect(took != nil && took! < 1.0, "applied after \(String(describing: took)) s")
        #expect(try env(app, "web-web-1").contains("V=2"))
        let metrics = try http(status, "GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("cnc_sync_commit_info{repo=\"\(repo.path)\",branch=\"main\",commit=\"\(c2)\"} 1"), "\(metrics.body)")
        #expect(metrics.body.contains("cnc_sync_app_outcome{app=\"web\",outcome=\"applied\",commit=\"\(c2)\"} 1"))
        #expect(metrics.body.contains("cnc_sync_apply_duration_seconds_count 2"))
        let st = try statusOf(status)
        #expect(st?.webhook == "/hooks/git" && st?.lastCycle?.trigger == "webhook" && st?.lastCycle?.commit == c2, "\(String(describing: st))")
        #expect(try http(status, "GET", "/nope").status == 404)
        agent.signal(SIGTERM)
        #expect(try agent.wait() == .exited(0))
        let cycles = agent.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(SyncCycleReport.self, from: Data($0.utf8)) }
        #expect(cycles.map(\.trigger) == ["start", "webhook"], "\(agent.stdout)")

        // The timer agent: a commit is applied within the interval.
        let timer = try BackgroundSync(app, ["--repo", repo.path, "--path", "apps", "--interval", "1s", "-o", "json"])
        #expect(eventually(20) { timer.stdout.contains("\"trigger\":\"start\"") } != nil, "\(timer.stderr)")
        try repo.commit(["apps/web.yaml": syncSpec(env: "3")])
        #expect(try eventually(4) { try env(app, "web-web-1").contains("V=3") } != nil, "\(timer.stdout)")
        timer.signal(SIGINT)
        #expect(try timer.wait() == .exited(0))
        _ = try app.apply(["down", "-p", "web"])
    }

    @Test func killedMidApplyThenRestartedConverges() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        try repo.commit(["apps/web.yaml": syncSpec(env: "1")])
        #expect(try once(app, repo).0.status == 0)
        // The replacement becomes healthy only after 3 s: the agent is killed while it waits.
        try repo.commit(["apps/web.yaml": syncSpec(env: "2", health: ["CMD", "test", "-f", "/tmp/ready"], startPeriod: "20s",
                                                   command: #"["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep 1000"]"#, startFirst: true)])
        let agent = try BackgroundSync(app, ["--repo", repo.path, "--path", "apps", "--once"])
        let started = eventually(20) {
            ((try? app.containers()) ?? [:]).keys.contains { $0.hasSuffix("-next") }
        }
        #expect(started != nil, "\(agent.stdout)\(agent.stderr)")
        agent.signal(SIGKILL)
        #expect(try agent.wait() == .signaled(SIGKILL))

        // Restarted: it converges (the lock died with the agent: --no-wait semantics not needed).
        let (r, report) = try once(app, repo)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(report?.apps.first?.outcome == .applied || report?.apps.first?.outcome == .inSync, "\(r.stdout)")
        #expect(Set(try app.containers().keys) == ["web-web-1"])
        #expect(try env(app, "web-web-1").contains("V=2"))
        #expect(try once(app, repo).1?.apps.first?.outcome == .inSync)
        // The killed apply's revision says so.
        let history = try app.apply(["history", "-p", "web"]).stdout
        #expect(history.contains("(interrupted)"), "\(history)")
        _ = try app.apply(["down", "-p", "web"])
    }
}

/// The agent's HTTP server against hostile clients, and the git follower against local repos.
@Suite struct SyncPartsTests {
    @Test func httpServerCapsAndTimesOutAndKeepsServing() throws {
        var limits = HTTPServer.Limits()
        limits.ioTimeoutSeconds = 1
        limits.requestTimeout = .seconds(2)
        limits.maxBodyBytes = 1024
        let server = try HTTPServer(address: IPv4Address("127.0.0.1")!, port: 0, limits: limits) { r in
            HTTPResponse(status: 200, body: "\(r.method) \(r.path) \(r.body.count)\n")
        }
        server.start()
        defer { server.stop() }
        let port = Int(server.port)
        #expect(try http(port, "POST", "/x", body: Array("hello".utf8)) == (200, "POST /x 5\n"))
        #expect(try http(port, "GET", "/", headers: ["X-Big": String(repeating: "a", count: 20_000)]).status == 431)
        #expect(try http(port, "POST", "/", body: [UInt8](repeating: 65, count: 2048)).status == 413)

        // A client that stops mid-headers is cut off; others are served meanwhile.
        let slow = try TCPConnection(host: "127.0.0.1", port: port, timeout: 10)
        defer { slow.close() }
        try slow.send(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8))
        let start = Date()
        #expect(try http(port, "GET", "/fast") == (200, "GET /fast 0\n"))
        #expect(Date().timeIntervalSince(start) < 0.5)
        var buf = [UInt8](repeating: 0, count: 512)
        let n = try buf.withUnsafeMutableBytes { try slow.receive(into: $0) }
        #expect(String(decoding: buf[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
        #expect(Date().timeIntervalSince(start) < 4)
    }

    @Test func followerClonesFetchesAndChecksOutByPathAndFileURL() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        let c1 = try repo.commit(["apps/web.yaml": "services: {}\n", "README": "x\n"])
        for url in [repo.path, "file://" + repo.path] {
            let root = app.dir + "/follower-\(UUID().uuidString)"
            let f = GitFollower(repo: url, branch: "main", stateRoot: root)
            #expect(try f.fetch() == c1)
            let tree = try f.tree(c1)
            #expect(FileManager.default.fileExists(atPath: tree + "/apps/web.yaml"))
            #expect(!FileManager.default.fileExists(atPath: tree + "/.git"))
            // The directory is the same for the same repo and branch (a stable place across restarts).
            #expect(GitFollower(repo: url, branch: "main", stateRoot: root).directory == f.directory)
            #expect(GitFollower(repo: url, branch: "dev", stateRoot: root).directory != f.directory)
            // A new commit, then history rewritten (force-push): the head follows both.
            let c2 = try repo.commit(["apps/web.yaml": "services: {a: {image: x}}\n"])
            #expect(try f.fetch() == c2)
            try repo.git(["reset", "-q", "--hard", c1])
            #expect(try f.fetch() == c1)
            f.removeTrees(except: [c1])
            #expect(FileManager.default.fileExists(atPath: tree))
            #expect(try FileManager.default.contentsOfDirectory(atPath: f.directory + "/trees") == [c1])
        }
        let missing = GitFollower(repo: repo.path, branch: "nope", stateRoot: app.dir + "/f2")
        #expect { try missing.fetch() } throws: { "\($0)".contains("failed to fetch branch nope of \(repo.path)") }
    }

    @Test func notificationsReachTheReceiverAndAFailingOneChangesNothing() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        let received = ReceivedBodies()
        let receiver = try received.receiver()
        defer { receiver.stop() }
        try repo.commit(["apps/web.yaml": "services:\n  web:\n    image: [\n"])
        let r = try app.apply(["sync", "--repo", repo.path, "--path", "apps", "--once", "--notify", "http://127.0.0.1:\(receiver.port)/events"])
        #expect(r.status == 1)
        let bodies = received.all
        #expect(bodies.count == 1)
        let event = try JSONSerialization.jsonObject(with: Data((bodies.first ?? "").utf8)) as? [String: Any]
        #expect(event?["event"] as? String == "failure")
        #expect((event?["app"] as? [String: Any])?["outcome"] as? String == "spec-error")

        // Nobody listening: reported on stderr, the cycle's outcome is the same.
        let dead = try app.apply(["sync", "--repo", repo.path, "--path", "apps", "--once", "--notify", "http://127.0.0.1:9/x"])
        #expect(dead.status == 1)
        #expect(dead.stdout.contains("web: spec-error"), "\(dead.stdout)")
        #expect(dead.stderr.contains("notify 127.0.0.1:9/x"), "\(dead.stderr)")
    }
}

final class ReceivedBodies: @unchecked Sendable {
    private let lock = NSLock()
    private var bodies: [String] = []
    func add(_ b: String) { lock.lock(); bodies.append(b); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return bodies }

    /// A started HTTP server on 127.0.0.1 (an ephemeral port) that keeps each request's body.
    func receiver() throws -> HTTPServer {
        let server = try HTTPServer(address: IPv4Address("127.0.0.1")!, port: 0) { [self] r in
            add(String(decoding: r.body, as: UTF8.self))
            return HTTPResponse(status: 204, body: "")
        }
        server.start()
        return server
    }
}

/// One `cncapply sync --once -o json` of `repo`'s `apps/`: the result and its cycle report.
func syncOnce(_ app: AppRoot, _ repo: TestGitRepo, _ extra: [String] = []) throws -> (CLI.Result, SyncCycleReport?) {
    let r = try app.apply(["sync", "--repo", repo.path, "--path", "apps", "--once", "-o", "json"] + extra)
    let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
    return (r, try? JSONDecoder().decode(SyncCycleReport.self, from: Data(line.utf8)))
}

/// `cncapply sync` as a Type=notify service: READY=1 with the first cycle's STATUS= line.
@Suite struct SyncNotifyTests {
    @Test func readyAndStatusAfterTheFirstCycle() throws {
        let app = try AppRoot()
        let repo = try TestGitRepo(app.dir + "/repo")
        let c1 = try repo.commit(["apps/web.yaml": syncSpec()])
        let path = app.dir + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        let r = try CLI.run("cncapply", ["sync", "--root", app.root, "--repo", repo.path, "--path", "apps", "--once"], env: ["NOTIFY_SOCKET": path])
        #expect(r.status == 0, "\(r.stderr)")
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        let message = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
        #expect(message == "READY=1\nSTATUS=\(c1.prefix(7)): 1 apps, 0 failed, 0 drift\n", "\(message)")
        _ = try app.apply(["down", "-p", "web"])
    }
}
