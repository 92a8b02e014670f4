import CNCCore
import Foundation
import Testing

/// `cnc volume` over the one volume store `cnc run -v` and cncapply's apps share, as docker's
/// and compose's do.
@Suite(.serialized) struct VolumeCLITests {
    @Test func createListInspectRemovePrune() throws {
        let app = try AppRoot()
        func cnc(_ args: [String], stdin: String? = nil) throws -> CLI.Result {
            try CLI.exec(CLI.binDir + "/cnc", ["--root", app.root] + args, stdin: stdin)
        }
        #expect(try cnc(["volume", "create", "data"]).stdout == "data\n")
        #expect(try cnc(["volume", "create", "data"]).stdout == "data\n", "creating an existing volume is no error")
        #expect(try cnc(["volume", "create", "--label", "tier=db", "--label", "flag", "labelled"]).status == 0)
        let random = try cnc(["volume", "create"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(random.count == 64)
        let bad = try cnc(["volume", "create", "../x"])
        #expect(bad.status == 1 && bad.stderr.hasPrefix("Error: create ../x: \"../x\" includes invalid characters for a local volume name"), "\(bad.stderr)")
        #expect(try cnc(["volume", "create", "-d", "nfs", "v2"]).stderr.contains("plugin \"nfs\" not found"))

        // `run -v NAME:` uses the same volume; `-v /path` makes an anonymous one.
        let w = try cnc(["run", "-d", "--name", "writer", "-v", "data:/data", "-v", "/scratch", "app:stable",
                         "sh", "-c", "echo hello > /data/f; sleep 100"])
        #expect(w.status == 0, "\(w.stderr)")
        let writer = w.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var read = CLI.Result(status: 1, stdout: "", stderr: "")
        for _ in 0..<100 where read.stdout != "hello\n" {
            read = try cnc(["run", "--rm", "-v", "data:/d:ro", "app:stable", "cat", "/d/f"])
            usleep(50_000)
        }
        #expect(read.stdout == "hello\n", "\(read.stderr)")
        let ran = try cnc(["run", "--rm", "-v", "fresh:/d", "app:stable", "true"])
        #expect(ran.status == 0, "\(ran.stderr)")

        let names = try cnc(["volume", "ls", "-q"]).stdout.split(separator: "\n").map(String.init)
        let anonymous = try #require(names.first { $0.count == 64 && $0 != random })
        #expect(Set(names) == ["data", "labelled", "fresh", random, anonymous])
        let table = try cnc(["volume", "ls"]).stdout
        #expect(table.hasPrefix("DRIVER    VOLUME NAME\nlocal     "), "\(table)")
        #expect(try cnc(["volume", "ls", "-q", "--filter", "label=tier=db"]).stdout == "labelled\n")
        #expect(try cnc(["volume", "ls", "-q", "--filter", "label=flag"]).stdout == "labelled\n")
        #expect(try cnc(["volume", "ls", "-q", "--filter", "name=fre"]).stdout == "fresh\n")
        let dangling = Set(try cnc(["volume", "ls", "-q", "--filter", "dangling=true"]).stdout.split(separator: "\n").map(String.init))
        #expect(dangling == ["labelled", "fresh", random])
        #expect(try cnc(["volume", "ls", "--filter", "dangling=maybe"]).status == 1)
        #expect(try cnc(["volume", "ls", "--format", "{{.Name}} {{.Driver}} {{.Labels}}", "--filter", "name=labelled"]).stdout == "labelled local flag,tier=db\n")

        let inspect = try cnc(["volume", "inspect", "data"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]).first
        #expect(doc?["Name"] as? String == "data" && doc?["Driver"] as? String == "local" && doc?["Scope"] as? String == "local")
        #expect(doc?["Mountpoint"] as? String == app.root + "/volumes/data/_data")
        #expect((doc?["CreatedAt"] as? String)?.hasSuffix("Z") == true && doc?["Labels"] is NSNull)
        #expect(try cnc(["volume", "inspect", "-f", "{{.Name}}:{{index .Labels \"tier\"}}", "labelled", "data"]).stdout == "labelled:db\ndata:<no value>\n")
        #expect(try cnc(["volume", "inspect", "-f", "{{json .Labels}}", anonymous]).stdout == "{\"com.docker.volume.anonymous\":\"\"}\n")
        let missing = try cnc(["volume", "inspect", "nosuch"])
        #expect(missing.status == 1 && missing.stdout == "[]\n" && missing.stderr == "Error: get nosuch: no such volume\n", "\(missing.stdout)\(missing.stderr)")

        // In use (the writer, running or not): docker's refusal, exit 1, the volume kept.
        let inUse = try cnc(["volume", "rm", "data"])
        #expect(inUse.status == 1 && inUse.stderr == "Error: remove data: volume is in use - [\(writer)]\n", "\(inUse.stderr)")
        #expect(try cnc(["stop", "-t", "0", "writer"]).status == 0)
        #expect(try cnc(["volume", "rm", "-f", "data"]).status == 1, "-f does not remove a volume in use")
        #expect(try cnc(["volume", "rm", "nosuch"]).status == 1)
        #expect(try cnc(["volume", "rm", "-f", "nosuch"]).status == 0)

        // prune: asks; removes unused anonymous volumes only, unless -a.
        let no = try cnc(["volume", "prune"], stdin: "n\n")
        #expect(no.status == 0 && no.stdout == "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ")
        #expect(try cnc(["rm", "writer"]).status == 0)
        let yes = try cnc(["volume", "prune"], stdin: "y\n")
        #expect(yes.stdout.hasSuffix("[y/N] Deleted Volumes:\n\(anonymous)\n\nTotal reclaimed space: \(yes.stdout.split(separator: " ").last ?? "")"), "\(yes.stdout)")
        #expect(Set(try cnc(["volume", "ls", "-q"]).stdout.split(separator: "\n").map(String.init)) == ["data", "labelled", "fresh", random])
        let allPrune = try cnc(["volume", "prune", "-a", "-f", "--filter", "label=tier"])
        #expect(allPrune.stdout.hasPrefix("Deleted Volumes:\nlabelled\n\nTotal reclaimed space: "), "\(allPrune.stdout)")
        #expect(try cnc(["volume", "prune", "-f", "-a"]).stdout.contains("data\n"))
        #expect(try cnc(["volume", "ls", "-q"]).stdout.isEmpty)
        #expect(try cnc(["volume", "prune", "-f"]).stdout == "Total reclaimed space: 0B\n")
        let events = try cnc(["events", "--since", "1h", "--until", "0s", "--filter", "type=volume", "--format", "{{.Action}} {{.Actor.ID}}"]).stdout
        #expect(events.hasPrefix("create data\ncreate labelled\n") && events.contains("destroy labelled\n"), "\(events)")
        // Volumes `run -v` makes (named on first use, anonymous) report as docker's do, once.
        for line in ["create fresh", "create \(anonymous)", "destroy \(anonymous)", "destroy data"] {
            #expect(events.components(separatedBy: "\n").filter { $0 == line }.count == 1, "\(line): \(events)")
        }
    }

    /// An app's volume is `<project>_<name>` with Compose's labels: `cnc volume` sees it, refuses
    /// to remove it while the app uses it, `volume prune` (anonymous only) keeps it, and
    /// `cncapply down --volumes` removes it.
    @Test func appVolumesAreTheSameStore() throws {
        let app = try AppRoot()
        let file = try app.write("""
            name: vol
            services:
              db:
                image: app:stable
                command: ["sh", "-c", "echo kept > /var/lib/db/f; sleep 1000"]
                network_mode: none
                stop_grace_period: 0s
                volumes: ["dbdata:/var/lib/db"]
            volumes:
              dbdata:
                labels: {backup: "daily"}

            """)
        let applied = try app.apply(["-f", file])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        #expect(try cnc(["volume", "ls", "-q", "--filter", "label=com.docker.compose.project=vol"]).stdout == "vol_dbdata\n")
        let labels = try cnc(["volume", "inspect", "-f", "{{json .Labels}}", "vol_dbdata"]).stdout
        #expect(labels == "{\"backup\":\"daily\",\"com.docker.compose.project\":\"vol\",\"com.docker.compose.volume\":\"dbdata\"}\n", "\(labels)")
        let rm = try cnc(["volume", "rm", "vol_dbdata"])
        #expect(rm.status == 1 && rm.stderr.contains("volume is in use - ["), "\(rm.stderr)")
        var content = ""
        for _ in 0..<100 where content != "kept\n" {
            content = try cnc(["run", "--rm", "-v", "vol_dbdata:/d", "app:stable", "cat", "/d/f"]).stdout
            usleep(50_000)
        }
        #expect(content == "kept\n")
        #expect(try app.apply(["down", "-p", "vol"]).status == 0)
        #expect(try cnc(["volume", "prune", "-f"]).stdout == "Total reclaimed space: 0B\n", "named volumes survive a plain prune")
        #expect(try cnc(["volume", "ls", "-q"]).stdout == "vol_dbdata\n")
        #expect(try app.apply(["-f", file]).status == 0)
        let down = try app.apply(["down", "-p", "vol", "--volumes"])
        #expect(down.status == 0 && down.stdout.contains("volume dbdata: removed"), "\(down.stdout)")
        #expect(try cnc(["volume", "ls", "-q"]).stdout.isEmpty)
        // The app's volume reports its create (first apply) and destroy (down --volumes).
        let events = try cnc(["events", "--since", "1h", "--until", "0s", "--filter", "type=volume", "--format", "{{.Action}} {{.Actor.ID}}"]).stdout
        #expect(events == "create vol_dbdata\ndestroy vol_dbdata\n", "\(events)")
    }

    /// Compose's `external: true`: the app mounts the volume of exactly that name (made by `cnc
    /// volume create` or another app), never creates or prefixes it, stops before anything
    /// starts when it is missing (`external volume "x" not found`), and `down --volumes` leaves
    /// it. `name:` names an app's own volume on the host (created, and removed with --volumes).
    @Test func externalAndNamedVolumes() throws {
        let app = try AppRoot()
        let file = try app.write("""
            name: ext
            services:
              web:
                image: app:stable
                command: ["sh", "-c", "cat /shared/f > /own/copy; sleep 1000"]
                network_mode: none
                stop_grace_period: 0s
                volumes: ["shared:/shared", "own:/own"]
            volumes:
              shared:
                external: true
                name: team-data
              own:
                name: ext-own-data

            """)
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        let missing = try app.apply(["-f", file])
        #expect(missing.status == 1 && missing.stderr == "Error: external volume \"team-data\" not found\n", "\(missing.stdout)\(missing.stderr)")
        #expect(try cnc(["ps", "-a", "-q"]).stdout.isEmpty, "nothing of the app was created")
        #expect(try cnc(["volume", "ls", "-q"]).stdout.isEmpty, "no volume was created")

        #expect(try cnc(["volume", "create", "team-data"]).status == 0)
        #expect(try cnc(["run", "--rm", "--network", "none", "-v", "team-data:/d", "app:stable", "sh", "-c", "echo shared > /d/f"]).status == 0)
        let applied = try app.apply(["-f", file])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(Set(try cnc(["volume", "ls", "-q"]).stdout.split(separator: "\n")) == ["team-data", "ext-own-data"], "neither prefixed")
        var copy = ""
        for _ in 0..<100 where copy != "shared\n" {
            copy = try cnc(["run", "--rm", "--network", "none", "-v", "ext-own-data:/d", "app:stable", "cat", "/d/copy"]).stdout
            usleep(50_000)
        }
        #expect(copy == "shared\n", "the service read the external volume and wrote its own")
        let again = try app.apply(["-f", file, "--dry-run"])
        #expect(again.status == 0 && !again.stdout.contains("volume"), "a second apply plans nothing for volumes: \(again.stdout)")
        let down = try app.apply(["down", "-p", "ext", "--volumes"])
        #expect(down.status == 0 && down.stdout.contains("volume own: removed") && !down.stdout.contains("shared"), "\(down.stdout)\(down.stderr)")
        #expect(try cnc(["volume", "ls", "-q"]).stdout == "team-data\n", "the external volume stays")
        #expect(try cnc(["volume", "rm", "team-data"]).status == 0)
    }
}
