import CNCCore
import Foundation
import Glibc
import Testing

/// `cnc events` from the root's event log (what the runtime and each container's monitor
/// append) and `cnc system df|prune|info|events`, as docker shows them.
@Suite(.serialized) struct EventsSystemCLITests {
    static var line: Regex<(Substring, Substring, Substring, Substring)> {
        #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container (\w+) ([0-9a-f]{64}) \((.*)\)$/#
    }

    @Test func eventsOfARunStopAndRemove() throws {
        let app = try AppRoot()
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        let before = try cnc(["events", "--since", "1h", "--until", "0s", "--filter", "type=container"])
        #expect(before.status == 0 && before.stdout.isEmpty, "\(before.stdout)\(before.stderr)")
        #expect(try cnc(["run", "--rm", "--name", "once", "app:stable", "sh", "-c", "exit 3"]).status == 3)
        let id = try cnc(["run", "-d", "--name", "svc", "-l", "tier=web", "app:stable", "sleep", "100"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try cnc(["stop", "-t", "1", "svc"]).status == 0)
        #expect(try cnc(["rm", "svc"]).status == 0)

        // The monitor writes `die` once the exit is recorded: wait for it, with a deadline.
        var all = ""
        for _ in 0..<100 {
            all = try cnc(["events", "--since", "1h", "--until", "0s", "--filter", "type=container"]).stdout
            if all.split(separator: "\n").count >= 11 { break }
            usleep(50_000)
        }
        let lines = all.split(separator: "\n").map(String.init)
        let parsed = lines.compactMap { try? Self.line.wholeMatch(in: $0) }
        #expect(parsed.count == lines.count, "every line in docker's form: \(all)")
        let actions = parsed.map { String($0.output.1) }
        // `sleep` as PID 1 ignores SIGTERM: after the grace period, SIGKILL (docker's events too).
        #expect(actions == ["create", "start", "die", "destroy", "create", "start", "kill", "kill", "die", "stop", "destroy"], "\(all)")
        #expect(lines[2].hasSuffix("(execDuration=0, exitCode=3, image=app:stable, name=once)"), "\(lines[2])")
        #expect(lines[4].contains(" \(id) (image=app:stable, name=svc, tier=web)"), "\(lines[4])")
        #expect(lines[6].hasSuffix("(image=app:stable, name=svc, signal=15, tier=web)"), "\(lines[6])")
        #expect(lines[7].hasSuffix("(image=app:stable, name=svc, signal=9, tier=web)"), "\(lines[7])")

        let dies = try cnc(["events", "--since", "1h", "--until", "0s", "--filter", "event=die", "--filter", "container=svc",
                            "--format", "{{.Actor.Attributes.name}} {{.Action}} {{index .Actor.Attributes \"exitCode\"}}"])
        #expect(dies.stdout == "svc die 137\n", "\(dies.stdout)\(dies.stderr)")
        #expect(try cnc(["events", "--since", "1h", "--until", "0s", "--filter", "label=tier=web", "-f", "event=create", "--format", "{{.ID}}"]).stdout == "\(id)\n")
        #expect(try cnc(["events", "--since", "1h", "--until", "0s", "--filter", "image=app", "--format", "{{.Type}}"]).stdout.split(separator: "\n").count == 11)
        // The default network (made on first use here; docker's exists from the start) is joined
        // at each start and left at the end of each run or stop, as docker's bridge is.
        let network = try cnc(["events", "--since", "1h", "--until", "0s", "--filter", "type=network",
                               "--format", "{{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes \"container\"}}"]).stdout
        let netActions = network.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(netActions == ["create", "connect", "disconnect", "connect", "disconnect"], "\(network)")
        #expect(network.split(separator: "\n").suffix(2).allSatisfy { $0.hasSuffix(" cnc \(id)") }, "\(network)")
        let json = try cnc(["events", "--since", "1h", "--until", "0s", "--format", "{{json .}}", "--filter", "event=stop"]).stdout
        let msg = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(msg["Type"] as? String == "container" && msg["Action"] as? String == "stop" && msg["status"] as? String == "stop")
        #expect(msg["id"] as? String == id && msg["from"] as? String == "app:stable" && msg["scope"] as? String == "local")
        #expect((msg["Actor"] as? [String: Any])?["ID"] as? String == id && (msg["timeNano"] as? Int ?? 0) > 1_700_000_000_000_000_000)
        #expect(try cnc(["events", "--since", "-"]).status == 1)
        let badSince = try cnc(["events", "--since", "nonsense", "--until", "0s"])
        #expect(badSince.status == 1 && badSince.stderr == "Error: failed to parse value as time or duration: \"nonsense\"\n", "\(badSince.stderr)")
        #expect(try cnc(["events", "--filter", "colour=red"]).stderr == "Error: invalid filter 'colour'\n")
        #expect(try cnc(["system", "events", "--since", "1h", "--until", "0s", "--filter", "event=destroy"]).stdout.split(separator: "\n").count == 2)
    }

    /// Without --until, `cnc events` follows: an event that happens later arrives while it runs.
    @Test func eventsFollowsLiveIntoAPipe() throws {
        let app = try AppRoot()
        let (pid, out) = try #require(FirstHourCLITests.spawnPiped(["cnc", "events", "--root", app.root, "--format", "{{.Action}} {{.Actor.Attributes.name}}"]))
        defer {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            close(out)
        }
        usleep(300_000)
        #expect(try CLI.run("cnc", ["create", "--root", app.root, "--name", "late", "app:stable", "true"]).status == 0)
        var text = ""
        var buf = [UInt8](repeating: 0, count: 1024)
        var poll = pollfd(fd: out, events: Int16(POLLIN), revents: 0)
        while !text.contains("\n") && Glibc.poll(&poll, 1, 20_000) > 0 {
            let n = read(out, &buf, buf.count)
            if n <= 0 { break }
            text += String(decoding: buf[0..<n], as: UTF8.self)
        }
        #expect(text == "create late\n")
        _ = try CLI.run("cnc", ["rm", "--root", app.root, "late"])
    }

    @Test func systemDfAndPrune() throws {
        let app = try AppRoot()
        func cnc(_ args: [String], stdin: String? = nil) throws -> CLI.Result {
            try CLI.exec(CLI.binDir + "/cnc", ["--root", app.root] + args, stdin: stdin)
        }
        #expect(try cnc(["run", "-d", "--name", "up", "-v", "kept:/k", "app:stable", "sleep", "100"]).status == 0)
        #expect(try cnc(["run", "--name", "done", "-v", "/anon", "app:stable", "sh", "-c", "head -c 100000 /dev/zero > /big"]).status == 0)
        #expect(try cnc(["volume", "create", "spare"]).status == 0)
        let df = try cnc(["system", "df"]).stdout.split(separator: "\n").map(String.init)
        #expect(df.count == 5 && df[0] == "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE", "\(df)")
        #expect(df[1].hasPrefix("Images          1         1         "), "\(df)")
        #expect(df[2].hasPrefix("Containers      2         1         ") && df[2].hasSuffix("%)"), "\(df)")
        #expect(df[3].hasPrefix("Local Volumes   3         2         "), "\(df)")
        #expect(df[4] == "Build Cache     0         0         0B        0B", "\(df)")
        let json = try cnc(["system", "df", "--format", "{{json .}}"]).stdout.split(separator: "\n")
        #expect(json.first == "{\"Active\":\"1\",\"Reclaimable\":\"0B (0%)\",\"Size\":\"\(df[1].split(separator: " ", omittingEmptySubsequences: true)[3])\",\"TotalCount\":\"1\",\"Type\":\"Images\"}", "\(json)")
        let verbose = try cnc(["system", "df", "-v"]).stdout
        #expect(verbose.contains("Images space usage:") && verbose.contains("Containers space usage:")
                && verbose.contains("Local Volumes space usage:") && verbose.contains("Build cache usage: 0B"), "\(verbose)")

        let no = try cnc(["system", "prune", "--volumes"], stdin: "\n")
        #expect(no.status == 0 && no.stdout == """
            WARNING! This will remove:
              - all stopped containers
              - all networks not used by at least one container
              - all anonymous volumes not used by at least one container
              - all dangling images
              - unused build cache

            Are you sure you want to continue? [y/N] 
            """, "\(no.stdout)")
        #expect(try cnc(["ps", "-a", "-q"]).stdout.split(separator: "\n").count == 2, "a no changes nothing")
        let yes = try cnc(["system", "prune", "-f", "--volumes"])
        #expect(yes.status == 0 && yes.stdout.hasPrefix("Deleted Containers:\n"), "\(yes.stdout)\(yes.stderr)")
        #expect(yes.stdout.contains("Deleted Volumes:\n") && yes.stdout.contains("Total reclaimed space: "), "\(yes.stdout)")
        #expect(try cnc(["ps", "-a", "--format", "{{.Names}}"]).stdout == "up\n")
        #expect(Set(try cnc(["volume", "ls", "-q"]).stdout.split(separator: "\n")) == ["kept", "spare"], "named volumes stay")
        #expect(try cnc(["system", "info"]).stdout.contains("State root:"))
        #expect(try cnc(["rm", "-f", "up"]).status == 0)
    }
}
