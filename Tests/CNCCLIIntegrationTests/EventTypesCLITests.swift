import CNCCore
import Foundation
import Glibc
import Testing

/// The event types beyond a container's lifecycle (issue 12): image, network, rename, restart,
/// exec and health events with docker's actions and attributes, and `network prune`/`* prune`
/// as docker counts users and reclaimed space.
@Suite(.serialized) struct EventTypesCLITests {
    /// The events of `filters` as docker's JSON messages.
    static func events(_ app: AppRoot, _ filters: [String]) throws -> [[String: Any]] {
        let out = try CLI.run("cnc", ["events", "--root", app.root, "--since", "1h", "--until", "0s", "--format", "{{json .}}"] + filters.flatMap { ["--filter", $0] })
        #expect(out.status == 0, "\(out.stderr)")
        return out.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func attributes(_ e: [String: Any]) -> [String: String] {
        ((e["Actor"] as? [String: Any])?["Attributes"] as? [String: String]) ?? [:]
    }

    static func actorID(_ e: [String: Any]) -> String { ((e["Actor"] as? [String: Any])?["ID"] as? String) ?? "" }

    @Test func imageEvents() throws {
        let app = try AppRoot()
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        let id = try cnc(["image", "inspect", "--format", "{{.Id}}", "app:stable"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("sha256:"))
        #expect(try cnc(["tag", "app:stable", "app:copy"]).status == 0)
        #expect(try cnc(["save", "-o", app.dir + "/app.tar", "app:copy"]).status == 0)
        #expect(try cnc(["rmi", "app:copy"]).status == 0)
        #expect(try cnc(["rmi", "-f", "app:stable"]).status == 0)
        #expect(try cnc(["load", "-q", "-i", app.dir + "/app.tar"]).status == 0)
        let images = try Self.events(app, ["type=image"])
        let actions = images.map { $0["Action"] as? String ?? "" }
        #expect(actions == ["import", "tag", "save", "untag", "untag", "delete", "load"], "\(actions)")
        for e in images {
            #expect(e["Type"] as? String == "image" && e["scope"] as? String == "local" && e["status"] == nil)
            #expect(Self.actorID(e) == id, "\(e)")
        }
        #expect(Self.attributes(images[1]) == ["name": "app:copy"], "tag names the new tag")
        #expect(Self.attributes(images[0]) == ["name": id] && Self.attributes(images[5]) == ["name": id], "import and delete name the image ID")
        #expect(try Self.events(app, ["type=image", "event=untag"]).count == 2)
        #expect(try Self.events(app, ["type=network"]).isEmpty)
    }

    @Test func networkEventsAndPrune() throws {
        let app = try AppRoot()
        defer { FirstHourCLITests.removeNetworks(app) }
        func cnc(_ args: [String], stdin: String? = nil) throws -> CLI.Result {
            try CLI.exec(CLI.binDir + "/cnc", ["--root", app.root] + args, stdin: stdin)
        }
        for n in ["evnet", "kept", "spare"] { #expect(try cnc(["network", "create", n]).status == 0) }
        let netID = try cnc(["network", "inspect", "--format", "{{.Id}}", "evnet"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let c = try cnc(["run", "-d", "--name", "box", "--network", "evnet", "app:stable", "sleep", "100"])
        #expect(c.status == 0, "\(c.stderr)")
        let cid = c.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try cnc(["network", "connect", "kept", "box"]).status == 0)
        #expect(try cnc(["network", "disconnect", "kept", "box"]).status == 0)
        // Created (never started) on `kept`: a user of it, as a stopped container is in docker.
        #expect(try cnc(["create", "--name", "idle", "--network", "kept", "app:stable", "true"]).status == 0)
        #expect(try cnc(["stop", "-t", "0", "box"]).status == 0)
        // Docker's order for a stop: die, the network's disconnect, stop.
        let stopSequence = try Self.events(app, []).filter { Self.actorID($0) == cid || Self.attributes($0)["container"] == cid }
            .map { "\($0["Type"] as? String ?? "") \($0["Action"] as? String ?? "")" }.filter { !$0.hasSuffix(" kill") }
        #expect(Array(stopSequence.suffix(3)) == ["container die", "network disconnect", "container stop"], "\(stopSequence)")
        #expect(try cnc(["rm", "box"]).status == 0)

        let no = try cnc(["network", "prune"], stdin: "n\n")
        #expect(no.stdout == "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ", "\(no.stdout)")
        let pruned = try cnc(["network", "prune", "-f"])
        #expect(pruned.status == 0 && pruned.stdout == "Deleted Networks:\nevnet\nspare\n\n", "\(pruned.stdout)\(pruned.stderr)")
        let left = try cnc(["network", "ls", "--format", "{{.Name}}"]).stdout
        #expect(left.split(separator: "\n").contains("kept"), "\(left)")

        // docker's sequence: run connects box to evnet, its stop disconnects it.
        let events = try Self.events(app, ["type=network"])
        let actions = events.map { $0["Action"] as? String ?? "" }
        #expect(actions == ["create", "create", "create", "connect", "connect", "disconnect", "disconnect", "destroy", "destroy"], "\(actions)")
        #expect(Self.actorID(events[0]) == netID && Self.attributes(events[0]) == ["name": "evnet", "type": "bridge"], "\(events[0])")
        #expect(Self.actorID(events[3]) == netID && Self.attributes(events[3]) == ["container": cid, "name": "evnet", "type": "bridge"], "\(events[3])")
        #expect(Self.attributes(events[4]) == ["container": cid, "name": "kept", "type": "bridge"], "\(events[4])")
        #expect(Self.attributes(events[6]) == ["container": cid, "name": "evnet", "type": "bridge"], "\(events[6])")
        #expect(try Self.events(app, ["network=spare"]).map { $0["Action"] as? String ?? "" } == ["create", "destroy"])
        #expect(try cnc(["rm", "idle"]).status == 0)
    }

    /// cncapply's networks report as `cnc network`'s do: apply creates the app's network and
    /// connects each container it starts (a replacement's too), the replaced one disconnects,
    /// down disconnects the rest and destroys the network.
    @Test func appNetworkEventsFromApplyReplaceAndDown() throws {
        let app = try AppRoot()
        defer { FirstHourCLITests.removeNetworks(app) }
        func yaml(_ v: String) -> String {
            "name: evapp\nservices:\n  web:\n    image: app:stable\n    command: [\"sleep\", \"1000\"]\n    stop_grace_period: 0s\n    environment: {V: \"\(v)\"}\n"
        }
        let file = try app.write(yaml("1"))
        let first = try app.apply(["-f", file])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let name = try #require(try CLI.run("cnc", ["network", "ls", "--root", app.root, "--format", "{{.Name}}"]).stdout
            .split(separator: "\n").map(String.init).first { $0.hasPrefix("evapp") })
        let net = [try CLI.run("cnc", ["network", "inspect", "--root", app.root, "--format", "{{.Id}}", name]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), name]
        _ = try app.write(yaml("2"))
        let second = try app.apply(["-f", file])
        #expect(second.status == 0 && second.stdout.contains("replace"), "\(second.stdout)\(second.stderr)")
        #expect(try app.apply(["down", "-p", "evapp"]).status == 0)

        let events = try Self.events(app, ["type=network"])
        let actions = events.map { $0["Action"] as? String ?? "" }
        #expect(actions.first == "create" && actions.last == "destroy", "\(actions)")
        #expect(actions.filter { $0 == "connect" }.count == 2 && actions.filter { $0 == "disconnect" }.count == 2, "\(actions)")
        for e in events {
            #expect(Self.actorID(e) == net.first && Self.attributes(e)["name"] == net.last && Self.attributes(e)["type"] == "bridge", "\(e)")
        }
        // Each container (the first and its replacement) connected once and disconnected once.
        let connected = events.filter { $0["Action"] as? String == "connect" }.compactMap { Self.attributes($0)["container"] }
        let disconnected = events.filter { $0["Action"] as? String == "disconnect" }.compactMap { Self.attributes($0)["container"] }
        #expect(Set(connected).count == 2 && Set(connected) == Set(disconnected), "\(connected) \(disconnected)")
        let destroyed = try Self.events(app, ["type=container", "event=destroy"]).map(Self.actorID)
        #expect(Set(connected).isSubset(of: Set(destroyed)), "\(destroyed)")
    }

    @Test func renameRestartExecAndHealthEvents() throws {
        let app = try AppRoot()
        defer { FirstHourCLITests.removeNetworks(app) }
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        let run = try cnc(["run", "-d", "--name", "svc", "--network", "none", "--health-cmd", "test -e /tmp/ok", "--health-interval", "1s",
                           "--health-retries", "1", "app:stable", "sleep", "100"])
        #expect(run.status == 0, "\(run.stderr)")
        let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try cnc(["rename", "svc", "api"]).status == 0)
        #expect(try cnc(["exec", "api", "sh", "-c", "touch /tmp/ok; exit 4"]).status == 4)
        func healthEvents() throws -> [String] {
            try Self.events(app, ["container=api"]).compactMap { $0["Action"] as? String }.filter { $0.hasPrefix("health_status") }
        }
        var health: [String] = []
        for _ in 0..<100 {
            health = try healthEvents()
            if health.contains("health_status: healthy") { break }
            usleep(100_000)
        }
        #expect(health.first == "health_status: healthy", "\(health)")
        #expect(try cnc(["exec", "api", "rm", "/tmp/ok"]).status == 0)
        for _ in 0..<100 {
            health = try healthEvents()
            if health.contains("health_status: unhealthy") { break }
            usleep(100_000)
        }
        #expect(health == ["health_status: healthy", "health_status: unhealthy"], "one event per change: \(health)")
        #expect(try cnc(["restart", "-t", "0", "api"]).status == 0)

        let rename = try #require(try Self.events(app, ["event=rename"]).first)
        #expect(Self.actorID(rename) == id && Self.attributes(rename)["oldName"] == "/svc" && Self.attributes(rename)["name"] == "api", "\(rename)")
        let exec = try Self.events(app, ["container=api", "event=exec_create", "event=exec_start", "event=exec_die"])
        #expect(exec.map { $0["Action"] as? String ?? "" }.prefix(3) == ["exec_create: sh -c touch /tmp/ok; exit 4", "exec_start: sh -c touch /tmp/ok; exit 4", "exec_die"], "\(exec)")
        let execID = Self.attributes(exec[0])["execID"] ?? ""
        #expect(execID.count == 64 && exec.prefix(3).allSatisfy { Self.attributes($0)["execID"] == execID })
        #expect(Self.attributes(exec[2])["exitCode"] == "4" && Self.attributes(exec[2])["name"] == "api", "\(exec[2])")
        let restart = try Self.events(app, ["event=restart"])
        #expect(restart.count == 1 && restart.first?["status"] as? String == "restart" && restart.first?["from"] as? String == "app:stable")
        #expect(try cnc(["rm", "-f", "api"]).status == 0)
    }

    @Test func pruneReportsReclaimedSpaceInDockersUnits() throws {
        let app = try AppRoot()
        defer { FirstHourCLITests.removeNetworks(app) }
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        #expect(try cnc(["run", "--name", "big", "--network", "none", "app:stable", "sh", "-c", "head -c 2500000 /dev/urandom > /big"]).status == 0)
        let out = try cnc(["container", "prune", "-f"])
        let total = out.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(try #/^Total reclaimed space: 2\.[0-9]{1,3}MB$/#.wholeMatch(in: total) != nil, "decimal units, 4 digits: \(out.stdout)")
        #expect(try cnc(["container", "prune", "-f"]).stdout == "Total reclaimed space: 0B\n")
        #expect(try cnc(["image", "prune", "-f"]).stdout.hasSuffix("Total reclaimed space: 0B\n"))
    }
}
