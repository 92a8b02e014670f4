import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// A private state root with a busybox image imported as `app:stable`, cleaned up with every
/// container, cgroup and mount in it.
final class AppRoot {
    let root: String
    let dir: String

    init() throws {
        let id = ContainerID.random().short
        root = "/tmp/cnc-apply-root-\(id)"
        dir = "/tmp/cnc-apply-spec-\(id)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try importImage("app:stable", marker: "v1")
    }

    /// Imports a busybox rootfs with /marker containing `marker` as `tag`.
    func importImage(_ tag: String, marker: String) throws {
        let rootfs = dir + "/rootfs-\(marker)"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/make-busybox-rootfs.sh").path
        try sh("bash '\(script)' '\(rootfs)' && echo \(marker) > '\(rootfs)/marker' && tar -C '\(rootfs)' -cf '\(rootfs).tar' .")
        let r = try CLI.run("cnc", ["import", "--root", root, rootfs + ".tar", tag])
        #expect(r.status == 0, "import: \(r.stderr)")
    }

    func sh(_ command: String) throws {
        let r = try CLI.exec("/bin/sh", ["-c", command])
        guard r.status == 0 else { throw CNCError(.system, "sh -c \(command): exit \(r.status): \(r.stderr)") }
    }

    func write(_ yaml: String, name: String = "app.yaml") throws -> String {
        let path = dir + "/" + name
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func apply(_ args: [String], env: [String: String] = [:]) throws -> CLI.Result { try CLI.run("cncapply", args + ["--root", root], env: env) }

    /// container name -> labels, from `cnc inspect` of every container in the root.
    func containers() throws -> [String: [String: String]] {
        let ids = try CLI.run("cnc", ["ps", "-a", "-q", "--no-trunc", "--root", root]).stdout.split(separator: "\n").map(String.init)
        var out: [String: [String: String]] = [:]
        for id in ids {
            let r = try CLI.run("cnc", ["inspect", "--root", root, "--format", "{{json .Config.Labels}} {{.Name}} {{.State.Status}}", id])
            let parts = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, let labels = try? JSONDecoder().decode([String: String].self, from: Data(parts[0].utf8)) else { continue }
            var l = labels
            l["_status"] = String(parts[1].split(separator: " ").last ?? "")
            out[String(parts[1].split(separator: " ").first ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))] = l
        }
        return out
    }

    deinit {
        let ids = (try? CLI.run("cnc", ["ps", "-a", "-q", "--no-trunc", "--root", root]).stdout.split(separator: "\n").map(String.init)) ?? []
        if !ids.isEmpty { _ = try? CLI.run("cnc", ["rm", "-f", "-v", "--root", root] + ids) }
        // Every network of the root (bridges, nft tables, cnc-dns), the default one included.
        let nets = (try? CLI.run("cnc", ["network", "ls", "--root", root, "--format", "{{.Name}}"]).stdout.split(separator: "\n").map(String.init)) ?? []
        if !nets.isEmpty { _ = try? CLI.run("cnc", ["network", "rm", "--root", root] + nets) }
        for id in ids {
            for h in ["memory", "pids", "cpu"] { #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(h)/cnc/\(id)")) }
        }
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(root), "mounts left under \(root)")
        // `cnc rm` hands container directories to a detached remover: retry until the tree is
        // gone (a removal racing it can stop half-way).
        for _ in 0..<50 {
            try? FileManager.default.removeItem(atPath: root)
            if !FileManager.default.fileExists(atPath: root) { break }
            usleep(20_000)
        }
        #expect(!FileManager.default.fileExists(atPath: root), "\(root) left behind")
        try? FileManager.default.removeItem(atPath: dir)
    }
}

func spec(_ project: String, env: String = "1", health: String? = nil, extra: String = "") -> String {
    var s = """
    name: \(project)
    services:
      web:
        image: app:stable
        command: ["sleep", "1000"]
        network_mode: none
        stop_grace_period: 0s
        environment:
          V: "\(env)"
        deploy:
          update_config: {order: start-first, failure_action: rollback, monitor: 300ms}

    """
    if let health {
        s += """
            healthcheck:
              test: ["CMD", "\(health)"]
              interval: 100ms
              timeout: 1s
              retries: 1

        """
    }
    s += """
      worker:
        image: app:stable
        command: ["sleep", "1000"]
        network_mode: none
        stop_grace_period: 0s
        deploy:
          replicas: 2
    \(extra)
    """
    return s
}

@Suite(.serialized) struct ApplyEndToEndTests {
    @Test func applyIsIdempotentAndNamesItsCauses() throws {
        let app = try AppRoot()
        let file = try app.write(spec("e2e"))
        let first = try app.apply(["-f", file])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("web: create — new service"))
        #expect(first.stdout.contains("revision 1 applied"))
        var cs = try app.containers()
        #expect(Set(cs.keys) == ["e2e-web-1", "e2e-worker-1", "e2e-worker-2"])
        #expect(cs.values.allSatisfy { $0["_status"] == "running" })

        let again = try app.apply(["-f", file])
        #expect(again.status == 0 && again.stdout.contains("e2e: no changes"))
        #expect(try app.apply(["diff", "-f", file]).status == 0)

        _ = try app.write(spec("e2e", env: "2"))
        let diff = try app.apply(["diff", "-f", file])
        #expect(diff.status == 2)
        #expect(diff.stdout == """
        web: replace — environment.V "1" -> "2"
          create e2e-web-1-next
          start e2e-web-1-next
          health gate e2e-web-1-next: running for 300ms; on failure: remove it, roll back
          stop e2e-web-1
          remove e2e-web-1
          rename e2e-web-1-next -> e2e-web-1
        worker: keep

        """)
        let changed = try app.apply(["-f", file])
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stdout.contains("revision 2 applied"))
        cs = try app.containers()
        #expect(Set(cs.keys) == ["e2e-web-1", "e2e-worker-1", "e2e-worker-2"])

        // A bad spec changes nothing and exits 1 with the position.
        _ = try app.write(spec("e2e", env: "3").replacingOccurrences(of: "replicas: 2", with: "replicas: two"))
        let bad = try app.apply(["-f", file])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("app.yaml:") && bad.stderr.contains("services.worker.deploy.replicas"))
        #expect(try app.apply(["diff", "-f", file]).status == 1)
        #expect(try app.containers() == cs)

        let history = try app.apply(["history", "-p", "e2e"])
        #expect(history.stdout.split(separator: "\n").count == 3)
        let down = try app.apply(["down", "-p", "e2e"])
        #expect(down.status == 0)
        #expect(try app.containers().isEmpty)
    }

    /// A container paused outside cncapply (`cnc pause`) is not running as the spec wants: the
    /// next apply plans its start ("not running (paused)") and thaws it, as `cnc unpause` does,
    /// instead of failing as already running; the revision succeeds and the process is the same.
    @Test func aPausedContainerIsThawedByTheNextApply() throws {
        let app = try AppRoot()
        let file = try app.write(spec("pz"))
        #expect(try app.apply(["-f", file]).status == 0)
        let pid = { () throws -> String in
            try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{.State.Pid}}", "pz-web-1"]).stdout
        }
        let before = try pid()
        #expect(try CLI.run("cnc", ["pause", "--root", app.root, "pz-web-1"]).status == 0)
        #expect(try app.containers()["pz-web-1"]?["_status"] == "paused")
        let r = try app.apply(["-f", file])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("web: start — not running (paused)"), "\(r.stdout)")
        #expect(try app.containers()["pz-web-1"]?["_status"] == "running")
        #expect(try pid() == before, "the paused process was replaced, not thawed")
        let again = try app.apply(["-f", file])
        #expect(again.status == 0 && again.stdout.hasSuffix("pz: no changes\n"), "\(again.stdout)\(again.stderr)")
        #expect(try app.apply(["down", "-p", "pz"]).status == 0)
    }

    @Test func rollbackRestoresTheDigestAfterTheTagMoved() throws {
        let app = try AppRoot()
        let file = try app.write(spec("rb"))
        #expect(try app.apply(["-f", file]).status == 0)
        let v1 = try #require(try app.containers()["rb-web-1"]?["cnc.image-digest"])
        // A new build moves the tag; apply picks it up.
        try app.importImage("app:stable", marker: "v2")
        let moved = try app.apply(["-f", file])
        #expect(moved.stdout.contains("web: replace — image docker.io/library/app:stable \(v1.prefix(19))"))
        let v2 = try #require(try app.containers()["rb-web-1"]?["cnc.image-digest"])
        #expect(v1 != v2)
        let back = try app.apply(["rollback", "-p", "rb"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try app.containers()["rb-web-1"]?["cnc.image-digest"] == v1)
        // The tag itself points at v1 again: the spec, resolved afresh, is in sync.
        #expect(try app.apply(["diff", "-f", file]).status == 0)
        #expect(try app.apply(["history", "-p", "rb"]).stdout.contains("rollback to 1"))
    }

    @Test func failingHealthCheckRollsBackAutomatically() throws {
        let app = try AppRoot()
        let file = try app.write(spec("hc", env: "1", health: "true"))
        let first = try app.apply(["-f", file])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let good = try #require(try app.containers()["hc-web-1"]?["cnc.config-hash"])
        _ = try app.write(spec("hc", env: "2", health: "false"))
        let broken = try app.apply(["-f", file])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("rolling back to revision 1"))
        // start-first: the good container never stopped, and is the one that runs.
        #expect(try app.containers()["hc-web-1"]?["cnc.config-hash"] == good)
        let history = try app.apply(["history", "-p", "hc"]).stdout
        #expect(history.contains("rolled-back"))
        #expect(history.contains("auto-rollback to 1"))
    }

    /// (How fast the watcher reacts is a benchmark; waits here are for events, with deadlines
    /// no load reaches.)
    @Test func watchReactsToAnEdit() throws {
        let app = try AppRoot()
        let file = try app.write(spec("w"))
        let watch = try BackgroundApply(["-f", file, "--watch", "--root", app.root])
        defer { watch.stop() }
        let text = watch.text
        #expect(text.wait(for: "watching", seconds: 20))
        #expect(text.value.contains("revision 1 applied"))
        _ = try app.write(spec("w", env: "2"))
        #expect(text.wait(for: "changed: app.yaml", seconds: 30))
        #expect(text.wait(for: "revision 2 applied", seconds: 30))
        // An edit that breaks the spec leaves the app alone.
        _ = try app.write(spec("w", env: "3").replacingOccurrences(of: "replicas: 2", with: "replicas: two"))
        #expect(text.wait(for: "the running app is left as it is", seconds: 30))
        #expect(try app.containers().count == 3)
    }

    @Test func killNineAtRandomPointsThenApplyConverges() throws {
        let app = try AppRoot()
        let file = try app.write(spec("k9"))
        #expect(try app.apply(["-f", file]).status == 0)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<20 {
            _ = try app.write(spec("k9", env: "\(i + 2)", extra: i % 3 == 0 ? "" : ""))
            var opts = Spawn.Options()
            opts.fdMap = [-1, -1, -1]
            let pid = try Spawn.spawn(CLI.binDir + "/cncapply", arguments: ["cncapply", "-f", file, "--root", app.root],
                                      environment: ProcessInfo.processInfo.environment.merging(["CNC_DNS_UPSTREAM": "none"]) { mine, _ in mine }
                                          .map { "\($0.key)=\($0.value)" }, options: opts)
            usleep(UInt32.random(in: 0...250_000, using: &rng))
            kill(pid, SIGKILL)
            _ = try Spawn.wait(pid)
        }
        let final = try app.apply(["-f", file])
        #expect(final.status == 0, "\(final.stdout)\(final.stderr)")
        if final.status != 0 { print(final.stdout, final.stderr) }
        #expect(try app.apply(["diff", "-f", file]).status == 0)
        let cs = try app.containers()
        #expect(Set(cs.keys) == ["k9-web-1", "k9-worker-1", "k9-worker-2"], "\(cs.keys.sorted())")
        #expect(cs.values.allSatisfy { $0["_status"] == "running" })
        let history = try app.apply(["history", "-p", "k9", "-o", "json"]).stdout
        #expect(!history.contains("\"pending\""))
    }
}

/// cncapply running in the background (`--watch`), its stdout and stderr collected in `text`;
/// stop() kills it by its pid.
final class BackgroundApply {
    let process = Process()
    let text = LockedText()
    private let out = Foundation.Pipe()

    init(_ args: [String], cwd: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: CLI.binDir + "/cncapply")
        process.arguments = args
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var env = ProcessInfo.processInfo.environment
        if env["CNC_DNS_UPSTREAM"] == nil { env["CNC_DNS_UPSTREAM"] = "none" }
        process.environment = env
        process.standardOutput = out
        process.standardError = out
        let text = self.text
        out.fileHandleForReading.readabilityHandler = { h in text.append(String(decoding: h.availableData, as: UTF8.self)) }
        try process.run()
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        out.fileHandleForReading.readabilityHandler = nil
    }
}

final class LockedText: @unchecked Sendable {
    private var text = ""
    private let lock = NSLock()
    func append(_ s: String) { lock.lock(); text += s; lock.unlock() }
    var value: String { lock.lock(); defer { lock.unlock() }; return text }
    func wait(for needle: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if value.contains(needle) { return true }
            usleep(20_000)
        }
        return false
    }
}

@Suite(.serialized) struct ApplyNetworkTests {
    @Test func servicesReachEachOtherByNameAndThePublishedPortAnswers() throws {
        let app = try AppRoot()
        let port = 20000 + Int.random(in: 0..<20000)
        let file = try app.write("""
        name: net
        services:
          web:
            image: app:stable
            command: ["sh", "-c", "mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 8080 -h /www"]
            ports: ["127.0.0.1:\(port):8080"]
            stop_grace_period: 0s
            networks:
              front:
                aliases: [www]
          client:
            image: app:stable
            command: ["sleep", "1000"]
            stop_grace_period: 0s
            networks: [front]
            dns_search: [corp.example]
            extra_hosts: ["gw.example=10.89.255.254"]
        networks:
          front: {}
        """)
        let r = try app.apply(["-f", file, "--wait"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        // From the host, through the published port (only ever 127.0.0.1).
        var body = ""
        for _ in 0..<50 {
            if let data = try? Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/")!) { body = String(decoding: data, as: UTF8.self); break }
            usleep(100_000)
        }
        #expect(body == "hello-web\n")
        // From the other service, by service name and by alias.
        for name in ["web", "www"] {
            let e = try CLI.run("cnc", ["exec", "--root", app.root, "net-client-1", "wget", "-q", "-O", "-", "http://\(name):8080/"])
            #expect(e.stdout == "hello-web\n", "\(name): \(e.stderr)")
        }
        // dns_search and extra_hosts reach the container's files (nothing is looked up).
        let resolv = try CLI.run("cnc", ["exec", "--root", app.root, "net-client-1", "cat", "/etc/resolv.conf"]).stdout
        #expect(resolv.contains("search corp.example"), "\(resolv)")
        let hosts = try CLI.run("cnc", ["exec", "--root", app.root, "net-client-1", "cat", "/etc/hosts"]).stdout
        #expect(hosts.contains("10.89.255.254") && hosts.contains("gw.example"), "\(hosts)")
        #expect(try app.apply(["diff", "-f", file]).status == 0)
        // Replacing web (new container, new address) keeps the client's view of it current.
        let edited = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "echo hello-web", with: "echo hello-web-2")
        try edited.write(toFile: file, atomically: true, encoding: .utf8)
        let replaced = try app.apply(["-f", file, "--wait"])
        #expect(replaced.stdout.contains("web: replace — command"), "\(replaced.stdout)")
        let after = try CLI.run("cnc", ["exec", "--root", app.root, "net-client-1", "wget", "-q", "-O", "-", "http://web:8080/"])
        #expect(after.stdout == "hello-web-2\n", "\(after.stderr)")
        #expect(try app.apply(["down", "-p", "net"]).status == 0)
        let nets = try CLI.run("cnc", ["network", "ls", "--root", app.root]).stdout
        #expect(!nets.contains("net_front"))
    }
}

/// Debian's docker-registry on a free 127.0.0.1 port with temp storage; killed by pid.
final class LocalRegistry {
    let dir = "/tmp/cnc-apply-registry-\(UUID().uuidString.prefix(8))"
    let port = 20000 + Int.random(in: 0..<20000)
    let process = Process()

    init() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        version: 0.1
        storage: { filesystem: { rootdirectory: \(dir)/data } }
        http: { addr: 127.0.0.1:\(port) }
        log: { level: error }
        """.write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
        process.arguments = ["serve", dir + "/config.yml"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if (try? Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/v2/")!)) != nil { return }
            usleep(50_000)
        }
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

@Suite(.serialized) struct ApplyPullTests {
    @Test func missingImagesArePulledFromTheRegistry() throws {
        let registry = try LocalRegistry()
        let source = try AppRoot()
        let ref = "127.0.0.1:\(registry.port)/shop/app:v1"
        #expect(try CLI.run("cnc", ["tag", "--root", source.root, "app:stable", ref]).status == 0)
        let push = try CLI.run("cnc", ["push", "--root", source.root, ref])
        #expect(push.status == 0, "\(push.stderr)")
        let app = try AppRoot()
        let file = try app.write(spec("pull").replacingOccurrences(of: "image: app:stable", with: "image: \(ref)"))
        // A dry run pulls nothing: it says what an apply would pull, and the store stays as it was.
        let dry = try app.apply(["-f", file, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.contains("web: \(ref) is not in the local store: an apply would pull it") && !dry.stdout.contains("pulling"), "\(dry.stdout)")
        #expect(try CLI.run("cnc", ["image", "inspect", "--root", app.root, ref]).status != 0)
        #expect(try app.containers().isEmpty)
        let r = try app.apply(["-f", file])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("pulling \(ref)"))
        #expect(try app.containers().count == 3)
        // The next apply finds it local: no pull.
        let again = try app.apply(["-f", file])
        #expect(!again.stdout.contains("pulling"))
        // An image no registry has: a clear error, nothing created.
        let missing = try app.write(spec("pull2").replacingOccurrences(of: "image: app:stable", with: "image: 127.0.0.1:\(registry.port)/nope:v9"), name: "missing.yaml")
        let bad = try app.apply(["-f", missing])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("failed to pull"))
    }
}

@Suite(.serialized) struct ApplyMultiNetworkTests {
    @Test func aServiceOnTwoNetworksReachesBothAndTheNetworksStayApart() throws {
        let app = try AppRoot()
        let httpd = { (name: String) in
            "[\"sh\", \"-c\", \"mkdir -p /www && echo \(name) > /www/index.html && exec httpd -f -p 8080 -h /www\"]"
        }
        let file = try app.write("""
        name: multi
        services:
          db:
            image: app:stable
            command: \(httpd("db"))
            networks: [back]
            healthcheck:
              test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
              interval: 200ms
              retries: 10
          web:
            image: app:stable
            command: \(httpd("web"))
            networks: [front]
          api:
            image: app:stable
            command: ["sleep", "1000"]
            stop_grace_period: 0s
            depends_on:
              db: {condition: service_healthy}
            networks:
              front: {}
              back:
                aliases: [api-internal]
        networks:
          front: {}
          back:
            internal: true
        """)
        let r = try app.apply(["-f", file, "--wait"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        func fetch(_ from: String, _ to: String) throws -> CLI.Result {
            try CLI.run("cnc", ["exec", "--root", app.root, from, "wget", "-q", "-O", "-", "http://\(to):8080/"])
        }
        #expect(try fetch("multi-api-1", "db").stdout == "db\n")
        #expect(try fetch("multi-api-1", "web").stdout == "web\n")
        // web is not on the backend network: db's address (on a bridge this test made) does not
        // answer it. Hosts files list no peers (Docker's: names are the network DNS's).
        let webHosts = try CLI.run("cnc", ["exec", "--root", app.root, "multi-web-1", "cat", "/etc/hosts"]).stdout
        // Whole names only: a container ID (web's own hostname) may hold "db" as hex.
        let hostNames = Set(webHosts.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
        #expect(hostNames.isDisjoint(with: ["db", "api", "multi-db-1", "multi-api-1"]), "\(webHosts)")
        let dbIP = try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "multi-db-1"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!dbIP.isEmpty)
        let probe = try CLI.run("cnc", ["exec", "--root", app.root, "multi-web-1", "nc", "-w", "1", dbIP, "8080"])
        #expect(probe.status != 0, "web reached db at \(dbIP)")
        // The second network's alias resolves for its peers.
        let alias = try CLI.run("cnc", ["exec", "--root", app.root, "multi-db-1", "ping", "-c", "1", "-W", "2", "api-internal"])
        #expect(alias.status == 0, "\(alias.stdout)\(alias.stderr)")
        #expect(try app.apply(["down", "-p", "multi"]).status == 0)
    }
}

@Suite(.serialized) struct ApplyLockTests {
    /// An app network has a DNS server (cnc-dns): a service name with replicas answers with
    /// every replica's address, for programs that query DNS themselves (busybox nslookup).
    @Test func aServicesReplicasResolveThroughTheNetworksDNSServer() throws {
        let app = try AppRoot()
        let file = try app.write("""
        name: dnsapp
        services:
          web:
            image: app:stable
            command: ["sleep", "1000"]
            stop_grace_period: 0s
            deploy:
              replicas: 2
          client:
            image: app:stable
            command: ["sleep", "1000"]
            stop_grace_period: 0s
        """)
        let r = try app.apply(["-f", file])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        func exec(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["exec", "--root", app.root, "dnsapp-client-1"] + args) }
        // Each replica's address, as its eth0 shows it ("2: eth0    inet 10.89.1.3/24 ...").
        let hosts = try ["dnsapp-web-1", "dnsapp-web-2"].map {
            let out = try CLI.run("cnc", ["exec", "--root", app.root, $0, "ip", "-4", "-o", "addr", "show", "eth0"]).stdout
            return out.split(separator: " ").first { $0.contains("/") }.map { String($0.split(separator: "/")[0]) } ?? ""
        }
        let web = try exec(["nslookup", "web"])
        #expect(web.status == 0 && hosts.allSatisfy { !$0.isEmpty && web.stdout.contains("Address: \($0)\n") }, "\(hosts) \(web.stdout)\(web.stderr)")
        let one = try exec(["nslookup", "dnsapp-web-2"])
        #expect(one.stdout.contains("Address: \(hosts[1])\n") && !one.stdout.contains("Address: \(hosts[0])\n"), "\(one.stdout)")
        // Scaled down: the removed replica is gone from the answer at once.
        _ = try app.write(try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "replicas: 2", with: "replicas: 1"))
        #expect(try app.apply(["-f", file]).status == 0)
        let after = try exec(["nslookup", "web"])
        #expect(after.stdout.contains("Address: \(hosts[0])\n") && !after.stdout.contains("Address: \(hosts[1])\n"), "\(after.stdout)")
        #expect(try app.apply(["down", "-p", "dnsapp"]).status == 0)
    }

    @Test func aSecondApplyWaitsOrFailsClearlyWithNoWait() throws {
        let app = try AppRoot()
        let file = try app.write(spec("lk"))
        // Another process holds the root's lock (as a running apply does).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [app.root + "/lock", "sleep", "3"]
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        usleep(300_000)
        let refused = try app.apply(["-f", file, "--no-wait"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is locked by another cnc process"), "\(refused.stderr)")
        #expect(try app.containers().isEmpty)
        // Without --no-wait it waits for the lock, then applies.
        let waited = try app.apply(["-f", file])
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(try app.containers().count == 3)
    }
}

@Suite(.serialized) struct RunPublishDefaultNetworkTests {
    @Test func runWithoutANetworkJoinsTheDefaultBridgeLikeDocker() throws {
        let app = try AppRoot()
        let port = 20000 + Int.random(in: 0..<20000)
        let r = try CLI.run("cnc", ["run", "--root", app.root, "-d", "--name", "pub", "-p", "127.0.0.1:\(port):8080", "app:stable",
                                    "sh", "-c", "mkdir -p /w && echo hi > /w/index.html && exec httpd -f -p 8080 -h /w"])
        #expect(r.status == 0, "\(r.stderr)")
        var body: String?
        for _ in 0..<50 where body == nil {
            body = try? String(contentsOf: URL(string: "http://127.0.0.1:\(port)/")!, encoding: .utf8)
            if body == nil { usleep(100_000) }
        }
        #expect(body == "hi\n")
        // Without -p too, a run joins the default bridge (docker's default network); only
        // `--network none` leaves it with a loopback alone.
        let plain = try CLI.run("cnc", ["run", "--root", app.root, "--rm", "app:stable", "sh", "-c", "ls /sys/class/net; ip -o -4 addr show eth0"])
        // An address of the default network's subnet (a free one: this host may hold others).
        let gateway = try CLI.run("cnc", ["network", "inspect", "--root", app.root, "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", "bridge"])
        let net = gateway.stdout.split(separator: ".").prefix(2).joined(separator: ".")
        #expect(gateway.status == 0 && net.count >= 3, "\(gateway.stdout) \(gateway.stderr)")
        #expect(plain.stdout.hasPrefix("eth0\nlo\n") && plain.stdout.contains("inet \(net)."), "\(plain.stdout) \(plain.stderr)")
        let created = try CLI.run("cnc", ["create", "--root", app.root, "app:stable", "true"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{.HostConfig.NetworkMode}}", created]).stdout == "bridge\n")
        #expect(try CLI.run("cnc", ["rm", "--root", app.root, created]).status == 0)
        let none = try CLI.run("cnc", ["run", "--root", app.root, "--rm", "--network", "none", "app:stable", "ls", "/sys/class/net"])
        #expect(none.stdout == "lo\n")
        #expect(try CLI.run("cnc", ["rm", "-f", "--root", app.root, "pub"]).status == 0)
        #expect(try CLI.run("cnc", ["network", "rm", "--root", app.root, "cnc"]).status == 0)
    }
}

/// Host paths of bind mounts, as Docker and Compose treat them: `-v` and Compose's short syntax
/// make a missing one as a directory, `--mount` and `create_host_path: false` refuse it.
@Suite(.serialized) struct BindSourceTests {
    @Test func missingHostPathsAreMadeOrRefusedLikeDocker() throws {
        let app = try AppRoot()
        let made = app.dir + "/made/by/v"
        let r = try CLI.run("cnc", ["run", "--root", app.root, "--rm", "-v", made + ":/data", "app:stable", "sh", "-c", "echo x > /data/f"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect((try? String(contentsOfFile: made + "/f", encoding: .utf8)) == "x\n")
        let missing = app.dir + "/not/made"
        let m = try CLI.run("cnc", ["run", "--root", app.root, "--rm", "--mount", "type=bind,src=\(missing),dst=/data", "app:stable", "true"])
        #expect(m.status == 125)
        #expect(m.stderr.contains("bind source path does not exist: \(missing)"), "\(m.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(try CLI.run("cnc", ["ps", "-a", "-q", "--root", app.root]).stdout.isEmpty)

        let file = try app.write("""
        name: binds
        services:
          short:
            image: app:stable
            command: ["sh", "-c", "echo s > /data/f && sleep 1000"]
            network_mode: none
            stop_grace_period: 0s
            volumes: ["./short-data:/data"]
        """)
        let a = try app.apply(["-f", file, "--wait"])
        #expect(a.status == 0, "\(a.stdout)\(a.stderr)")
        var content: String?
        for _ in 0..<50 where content == nil {
            content = try? String(contentsOfFile: app.dir + "/short-data/f", encoding: .utf8)
            if content == nil { usleep(50_000) }
        }
        #expect(content == "s\n")
        let strict = try app.write("""
        name: strict
        services:
          long:
            image: app:stable
            command: ["sleep", "1000"]
            network_mode: none
            volumes:
              - type: bind
                source: ./absent
                target: /data
                bind: {create_host_path: false}
        """, name: "strict.yaml")
        let s = try app.apply(["-f", strict])
        #expect(s.status != 0)
        #expect(s.stderr.contains("bind source path does not exist: \(app.dir)/absent"), "\(s.stderr)")
        #expect(!FileManager.default.fileExists(atPath: app.dir + "/absent"))
        #expect(try app.apply(["down", "-p", "binds"]).status == 0)
        _ = try app.apply(["down", "-p", "strict"])
    }
}

/// Compose's `security_opt: [seccomp=FILE]` reads the profile relative to the spec, as Compose
/// does; a missing one fails the apply with the file named.
@Suite(.serialized) struct ServiceSeccompTests {
    @Test func aServiceRunsUnderItsSeccompProfile() throws {
        let app = try AppRoot()
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}"#
            .write(toFile: app.dir + "/profile.json", atomically: true, encoding: .utf8)
        let file = try app.write("""
        name: sec
        services:
          app:
            image: app:stable
            command: ["sleep", "1000"]
            network_mode: none
            stop_grace_period: 0s
            security_opt: ["seccomp=./profile.json", "no-new-privileges:true"]
        """)
        let a = try app.apply(["-f", file])
        #expect(a.status == 0, "\(a.stdout)\(a.stderr)")
        let e = try CLI.run("cnc", ["exec", "--root", app.root, "sec-app-1", "mkdir", "/x"])
        #expect(e.status != 0 && e.stderr.contains("Operation not permitted"), "\(e.stdout)\(e.stderr)")
        let missing = try app.write(spec("sec2", extra: "    security_opt: [\"seccomp=./absent.json\"]\n"), name: "missing.yaml")
        let m = try app.apply(["-f", missing])
        #expect(m.status != 0 && m.stderr.contains("opening seccomp profile (\(app.dir)/absent.json) failed"), "\(m.stdout)\(m.stderr)")
        #expect(try app.apply(["down", "-p", "sec"]).status == 0)
        _ = try app.apply(["down", "-p", "sec2"])
    }
}

/// Compose's sysctls, devices, shm_size and oom_score_adj reach the container (they were
/// accepted and ignored before).
@Suite(.serialized) struct ServiceHostResourceTests {
    @Test func sysctlsDevicesShmSizeAndOomScoreAdjApply() throws {
        let app = try AppRoot()
        // blkio_config throttles need a block device of this host (the cgroup takes its numbers).
        let disks = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/block")) ?? []).sorted()
        let disk = disks.first { FileManager.default.fileExists(atPath: "/dev/" + $0) }
        let numbers = disk.flatMap { try? String(contentsOfFile: "/sys/class/block/\($0)/dev", encoding: .utf8) }?.trimmingCharacters(in: .whitespacesAndNewlines)
        let blkio = disk.map { "    blkio_config: {device_read_bps: [{path: /dev/\($0), rate: 3mb}]}\n" } ?? ""
        let file = try app.write("""
        name: hr
        services:
          app:
            image: app:stable
            command: ["sleep", "1000"]
            network_mode: none
            stop_grace_period: 0s
            sysctls: {kernel.shmmax: "654321"}
            devices: ["/dev/null:/dev/mynull:rw"]
            shm_size: 3m
            oom_score_adj: 300
            group_add: [4242]
            cgroup: private
            mem_limit: 48m
        \(blkio)  priv:
            image: app:stable
            command: ["sleep", "1000"]
            network_mode: none
            stop_grace_period: 0s
            privileged: true
            pid: host
        """)
        let a = try app.apply(["-f", file])
        #expect(a.status == 0, "\(a.stdout)\(a.stderr)")
        let e = try CLI.run("cnc", ["exec", "--root", app.root, "hr-app-1", "sh", "-c",
                                    "cat /proc/sys/kernel/shmmax /proc/1/oom_score_adj; stat -c '%t:%T' /dev/mynull; df -k /dev/shm | tail -1"])
        let lines = e.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4 && lines[0] == "654321" && lines[1] == "300" && lines[2] == "1:3", "\(e.stdout)\(e.stderr)")
        // cgroup: private, and the container's own limits at /sys/fs/cgroup.
        let v1 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/memory.limit_in_bytes")
        let cg = try CLI.run("cnc", ["exec", "--root", app.root, "hr-app-1", "sh", "-c", v1
            ? "grep :memory: /proc/1/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
            : "cat /proc/1/cgroup /sys/fs/cgroup/memory.max"])
        #expect(cg.stdout.hasSuffix((v1 ? ":memory:/" : "0::/") + "\n50331648\n"), "\(cg.stdout)\(cg.stderr)")
        #expect(lines.last?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first == "3072", "\(e.stdout)")
        if let numbers, FileManager.default.fileExists(atPath: "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device") {
            let t = try CLI.run("cnc", ["exec", "--root", app.root, "hr-app-1", "cat", "/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device"])
            #expect(t.stdout == "\(numbers) 3145728\n", "\(t.stdout)\(t.stderr)")
        }
        #expect(try CLI.run("cnc", ["exec", "--root", app.root, "hr-app-1", "grep", "Groups", "/proc/1/status"]).stdout.contains("4242"))
        let priv = try CLI.run("cnc", ["exec", "--root", app.root, "hr-priv-1", "grep", "-E", "^(Seccomp|NoNewPrivs):", "/proc/1/status"])
        #expect(priv.stdout == "NoNewPrivs:\t0\nSeccomp:\t0\n", "\(priv.stdout)\(priv.stderr)")
        // pid: host — the container's processes are in the host's pid namespace.
        let pidNS = try CLI.run("cnc", ["exec", "--root", app.root, "hr-priv-1", "readlink", "/proc/self/ns/pid"])
        #expect(pidNS.stdout == ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? "?") + "\n")
        let bad = try app.write(spec("hr2", extra: "    sysctls: {kernel.panic: \"1\"}\n"), name: "bad.yaml")
        let b = try app.apply(["-f", bad])
        #expect(b.status != 0 && b.stderr.contains("sysctl \"kernel.panic\" is not allowed"), "\(b.stdout)\(b.stderr)")
        #expect(try app.apply(["down", "-p", "hr"]).status == 0)
        _ = try app.apply(["down", "-p", "hr2"])
    }
}
