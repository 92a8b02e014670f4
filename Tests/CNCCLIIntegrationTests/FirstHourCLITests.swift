import CNCCore
import CNCSystem
import Foundation
import Glibc
import Testing

/// A Docker user's first hour (issue 12): top-level image commands, `ps` PORTS, `stats`
/// streaming, `load`'s report — run as a user would, in temp roots.
@Suite(.serialized) struct FirstHourCLITests {
    /// Removes every network of the root (bridges, nft table), then the root itself (AppRoot's deinit).
    static func removeNetworks(_ app: AppRoot) {
        let names = (try? CLI.run("cnc", ["network", "ls", "--root", app.root, "--format", "{{.Name}}"]).stdout) ?? ""
        for n in names.split(separator: "\n") { _ = try? CLI.run("cnc", ["network", "rm", "--root", app.root, String(n)]) }
    }

    /// Starts the built `cnc` with `args` (argv[0] first) and its stdout on a pipe: the pid and
    /// the pipe's read end, or nil.
    static func spawnPiped(_ args: [String]) -> (pid_t, Int32)? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var pid: pid_t = 0
        let argv = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, CLI.binDir + "/cnc", &actions, nil, argv, environ)
        close(fds[1])
        guard rc == 0 else { close(fds[0]); return nil }
        return (pid, fds[0])
    }

    @Test func topLevelImageCommandsAreRealAndAliasesBelongToGroups() throws {
        let app = try AppRoot()
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        let help = try cnc(["--help"]).stdout
        // Only docker's names at the top level: `ls`/`list`/`remove` would name two commands.
        for line in help.components(separatedBy: "SUBCOMMANDS:").last?.split(separator: "\n") ?? [] where line.hasPrefix("  ") && !line.hasPrefix("   ") {
            let names = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
            #expect(!names.hasSuffix(","), "top-level aliases: \(line)")
        }
        for verb in ["history", "images", "rmi", "pull", "push", "save", "load", "import", "tag", "build"] {
            #expect(help.contains("\n  \(verb) "), "\(verb) missing from cnc --help")
        }
        let history = try cnc(["history", "app:stable"])
        #expect(history.status == 0 && history.stdout.hasPrefix("IMAGE ") && history.stdout.contains("cnc import"), "\(history.stdout)\(history.stderr)")
        #expect(try cnc(["history", "-q", "app:stable"]).stdout.count == 13)
        for group in [["images"], ["image", "ls"], ["image", "list"], ["image", "images"]] {
            #expect(try cnc(group + ["--format", "{{.Repository}}:{{.Tag}}"]).stdout == "app:stable\n", "\(group)")
        }
        #expect(try cnc(["tag", "app:stable", "app:a"]).status == 0)
        #expect(try cnc(["tag", "app:stable", "app:b"]).status == 0)
        #expect(try cnc(["image", "rm", "app:a"]).stdout == "Untagged: app:a\n")
        #expect(try cnc(["image", "remove", "app:b"]).stdout == "Untagged: app:b\n")
        let ls = try cnc(["ls"])
        #expect(ls.status == 1 && ls.stderr.hasPrefix("cnc: 'ls' is not a cnc command."), "\(ls.stderr)")
        // `rm` is the container command only: an image name is no container.
        let rm = try cnc(["rm", "app:stable"])
        #expect(rm.status == 1 && rm.stderr.contains("No such container"), "\(rm.stderr)")
        #expect(try cnc(["container", "ls", "-a", "-q"]).status == 0)
        #expect(try cnc(["container", "list", "-a", "-q"]).status == 0)
        #expect(try cnc(["container", "remove", "-f", "nosuch"]).status == 0)
    }

    @Test func loadReportsExactlyTheTagsItLoaded() throws {
        let app = try AppRoot()
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        #expect(try cnc(["tag", "app:stable", "other:1"]).status == 0)
        let archive = app.dir + "/app.tar"
        #expect(try cnc(["save", "-o", archive, "app:stable"]).status == 0)
        // The image also has `other:1` in the store; the archive carries only app:stable.
        let l = try cnc(["load", "-i", archive])
        #expect(l.status == 0 && l.stdout == "Loaded image: app:stable\n", "\(l.stdout)\(l.stderr)")
        let two = app.dir + "/two.tar"
        #expect(try cnc(["save", "-o", two, "app:stable", "other:1"]).status == 0)
        let l2 = try cnc(["load", "-i", two])
        #expect(l2.stdout.split(separator: "\n").sorted() == ["Loaded image: app:stable", "Loaded image: other:1"], "\(l2.stdout)")
        let oci = app.dir + "/oci.tar"
        #expect(try cnc(["save", "--format", "oci-archive", "-o", oci, "app:stable"]).status == 0)
        #expect(try cnc(["load", "-q", "-i", oci]).stdout.isEmpty)
    }

    @Test func psShowsPortsAndSizesColumnsToTheirContent() throws {
        let app = try AppRoot()
        defer { Self.removeNetworks(app) }
        func cnc(_ args: [String]) throws -> CLI.Result { try CLI.run("cnc", ["--root", app.root] + args) }
        // An image that EXPOSEs 80 and 9000/udp.
        let imported = try CLI.run("cnc", ["import", "--root", app.root, "-c", "EXPOSE 80", "-c", "EXPOSE 9000/udp",
                                           app.dir + "/rootfs-v1.tar", "web:1"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let hostPort = 20000 + Int.random(in: 0..<20000)
        let web = try cnc(["run", "-d", "--name", "web", "-p", "\(hostPort):80", "-p", "127.0.0.1:\(hostPort + 1):8080", "web:1", "sleep", "100"])
        #expect(web.status == 0, "\(web.stderr)")
        let long = "a-container-with-a-name-longer-than-any-column"
        let second = try cnc(["run", "-d", "--name", long, "app:stable", "sleep", "100"])
        #expect(second.status == 0, "\(second.stderr)")
        let idle = try cnc(["create", "--name", "idle", "web:1", "true"])
        #expect(idle.status == 0, "\(idle.stderr)")

        let ports = try cnc(["ps", "--format", "{{.Names}}|{{.Ports}}"]).stdout.split(separator: "\n").sorted()
        #expect(ports == ["\(long)|", "web|9000/udp, 0.0.0.0:\(hostPort)->80/tcp, 127.0.0.1:\(hostPort + 1)->8080/tcp"], "\(ports)")
        let all = try cnc(["ps", "-a"]).stdout
        let lines = all.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        // Every column starts where its header does, however long the cells are.
        let header = lines[0]
        for title in ["IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"] {
            guard let at = header.range(of: title)?.lowerBound else { Issue.record("no \(title) in \(header)"); continue }
            let column = header.distance(from: header.startIndex, to: at)
            for line in lines.dropFirst() {
                let i = line.index(line.startIndex, offsetBy: column)
                #expect(line[line.index(before: i)] == " " && line[i] != " " || title == "PORTS", "\(title) in \(line)")
            }
        }
        #expect(header.hasPrefix("CONTAINER ID   IMAGE"), "\(header)")
        #expect(lines.contains { $0.hasSuffix("   \(long)") })
        #expect(lines.contains { $0.contains("\"sleep 100\"") && $0.contains("0.0.0.0:\(hostPort)->80/tcp") })
        let table = try cnc(["ps", "-a", "--format", "table {{.Names}}\\t{{.Status}}"]).stdout.split(separator: "\n").map(String.init)
        #expect(table.first == "NAMES" + String(repeating: " ", count: long.count + 3 - 5) + "STATUS", "\(table)")
        #expect(table.contains { $0.hasPrefix("idle ") && $0.hasSuffix("Created") })
        // Docker's name of the default network (which these joined) finds it: inspect, --format.
        let bridge = try cnc(["network", "inspect", "-f", "{{.Name}} {{.Driver}}", "bridge"])
        #expect(bridge.status == 0 && bridge.stdout == "bridge bridge\n", "\(bridge.stdout)\(bridge.stderr)")
        #expect(try cnc(["rm", "-f", "web", long, "idle"]).status == 0)
    }

    /// Piped, `stats` streams: a new table (or one JSON line per container) per refresh, each
    /// written when made, so the reader sees it while cnc still runs.
    @Test func statsStreamsIntoAPipe() throws {
        let app = try AppRoot()
        #expect(try CLI.run("cnc", ["run", "-d", "--name", "s1", "--root", app.root, "app:stable", "sleep", "100"]).status == 0)
        defer { _ = try? CLI.run("cnc", ["rm", "-f", "--root", app.root, "s1"]) }
        let once = try CLI.run("cnc", ["stats", "--no-stream", "--root", app.root])
        #expect(once.stdout.hasPrefix("CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT"), "\(once.stdout)")
        #expect(once.stdout.split(separator: "\n").count == 2)

        for (format, perRefresh) in [(nil, 2), ("{{json .}}", 1)] as [(String?, Int)] {
            var args = ["cnc", "stats", "--root", app.root]
            if let format { args += ["--format", format] }
            let (pid, out) = try #require(Self.spawnPiped(args))
            // Read until three refreshes arrived, while cnc keeps running.
            var text = ""
            let deadline = Date().addingTimeInterval(30)
            var buf = [UInt8](repeating: 0, count: 4096)
            while text.split(separator: "\n").count < 3 * perRefresh && Date() < deadline {
                let n = read(out, &buf, buf.count)
                if n <= 0 { break }
                text += String(decoding: buf[0..<n], as: UTF8.self)
            }
            var status: Int32 = 0
            #expect(waitpid(pid, &status, WNOHANG) == 0, "stats exited instead of streaming")
            kill(pid, SIGTERM)
            waitpid(pid, &status, 0)
            close(out)
            let lines = text.split(separator: "\n")
            #expect(lines.count >= 3 * perRefresh, "\(text)")
            if format == nil {
                #expect(lines.filter { $0.hasPrefix("CONTAINER ID") }.count >= 3, "a table per refresh: \(text)")
            } else {
                for l in lines { #expect(l.hasPrefix("{\"BlockIO\":") && l.contains("\"Name\":\"s1\""), "\(l)") }
            }
        }
    }

    /// `run`/`create`/`update` refuse a cpuset this host cannot give, in Docker's daemon's words,
    /// before anything is created; a negative --cpus is out of range; OOM killer off without a
    /// memory limit is Docker's warning, and the container runs.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func cpusetsAndCPUsRefusedAsDockerBeforeAnythingIsCreated() throws {
        let r = try BusyboxRoot()
        let cpus = Processes.onlineCPUs
        for (args, error) in [
            (["--cpuset-cpus", "abc"], "Invalid value abc for cpuset cpus: invalid format: abc"),
            (["--cpuset-cpus", "0,\(cpus + 7)"], "Requested CPUs are not available - requested 0,\(cpus + 7), available: "),
            (["--cpuset-mems", "4095"], "Requested memory nodes are not available - requested 4095, available: "),
            (["--cpus", "-1"], "Range of CPUs is from 0.01 to \(cpus).00, as there are only \(cpus) CPUs available"),
        ] {
            for verb in ["run", "create"] {
                let out = try r.cnc([verb, "--network", "none"] + args + ["bb:1", "true"])
                #expect(out.status == 125 && out.stderr.hasPrefix("Error: \(error)"), "\(verb) \(args): \(out.status) \(out.stderr)")
            }
        }
        #expect(try r.cnc(["ps", "-a", "-q"]).stdout.isEmpty)
        let ok = try r.cnc(["run", "--rm", "--network", "none", "--cpuset-cpus", "0", "--cpuset-mems", "0", "bb:1", "true"])
        #expect(ok.status == 0 && ok.stderr.isEmpty, "\(ok.stderr)")
        let oom = try r.cnc(["run", "--rm", "--network", "none", "--oom-kill-disable", "bb:1", "echo", "ran"])
        #expect(oom.status == 0 && oom.stdout == "ran\n", "\(oom.stderr)")
        #expect(oom.stderr == "WARNING: OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.\n")
        #expect(try r.cnc(["run", "-d", "--name", "u", "--network", "none", "bb:1", "sleep", "60"]).status == 0)
        let update = try r.cnc(["update", "--cpuset-cpus", "\(cpus + 7)", "u"])
        #expect(update.status == 1 && update.stderr.hasPrefix("Error: Requested CPUs are not available - requested \(cpus + 7), available: "), "\(update.stderr)")
        #expect(try r.cnc(["inspect", "--format", "{{.HostConfig.CpusetCpus}}", "u"]).stdout == "\n")
    }

    /// `info --format` takes docker's templates (`{{.ContainersRunning}}`...): counts of this
    /// root, the host's kernel and CPUs; a missing field is an error, as with inspect.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func infoFormatTakesDockersTemplates() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["run", "-d", "--network", "none", "--name", "up", "bb:1", "sleep", "60"]).status == 0)
        #expect(try r.cnc(["create", "--network", "none", "--name", "idle", "bb:1", "true"]).status == 0)
        for verb in [["info"], ["system", "info"]] {
            let out = try CLI.exec(CLI.binDir + "/cnc", verb + ["--root", r.root, "--format",
                "{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}} {{.NCPU}}"])
            #expect(out.status == 0 && out.stdout == "2 1 0 1 1 \(Processes.onlineCPUs)\n", "\(verb): \(out.stdout)\(out.stderr)")
        }
        let kernel = try r.cnc(["info", "-f", "{{.KernelVersion}} {{.OSType}} {{.CgroupDriver}}"])
        #expect(kernel.stdout == "\(Host.uname().release) linux cgroupfs\n" || kernel.stdout == "\(Host.uname().release) linux systemd\n", "\(kernel.stdout)")
        let json = try r.cnc(["info", "--format", "{{json .MemTotal}}"])
        #expect((Int64(json.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "\(json.stdout)")
        let missing = try r.cnc(["info", "--format", "{{.Nope}}"])
        #expect(missing.status != 0 && missing.stderr.hasPrefix("Error: ") && missing.stderr.contains("Nope"), "\(missing.stderr)")
        let bad = try r.cnc(["info", "--format", "{{.Containers"])
        #expect(bad.status == 64 && bad.stderr.hasPrefix("Error: "), "\(bad.status) \(bad.stderr)")
        // cnc's own report forms stay.
        #expect(try r.cnc(["info", "--format", "json"]).stdout.hasPrefix("{"))
        #expect(try r.cnc(["info"]).stdout.hasPrefix("Version:"))
    }

    /// `history -H=false` (docker's -H, --human): sizes in bytes, dates to the second, the
    /// column named "CREATED AT"; `-H` alone is the default.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func historyHumanFlagAsDocker() throws {
        let r = try BusyboxRoot()
        let raw = try r.cnc(["history", "-H=false", "bb:1"])
        let lines = raw.stdout.split(separator: "\n")
        #expect(raw.status == 0 && lines.first?.contains("CREATED AT") == true, "\(raw.stdout)\(raw.stderr)")
        let cells = lines.dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) ?? []
        // IMAGE, CREATED AT (RFC 3339, whole seconds), CREATED BY words..., SIZE (bytes).
        #expect(cells.count >= 3 && cells[1].hasSuffix("Z") && !cells[1].contains(".") && cells[1].contains("T"), "\(cells)")
        #expect(cells.contains { Int64($0).map { $0 > 0 } == true }, "\(cells)")
        let human = try r.cnc(["history", "-H", "bb:1"])
        let plain = try r.cnc(["history", "bb:1"])
        #expect(human.status == 0 && human.stdout == plain.stdout && !human.stdout.contains("CREATED AT"))
        #expect(try r.cnc(["history", "--human=false", "bb:1"]).stdout.contains("CREATED AT"))
    }

    /// Docker's daemon's words for a relative working directory, a bad name and --restart with
    /// --rm: exit 125, nothing created; `-w ""` is the image's (here /).
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func createRefusalsInDockersWords() throws {
        let r = try BusyboxRoot()
        for (args, error) in [
            (["-w", "relative"], "the working directory 'relative' is invalid, it needs to be an absolute path"),
            (["--name", "bad!"], "Invalid container name (bad!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"),
            (["--restart", "always", "--rm"], "conflicting options: cannot specify both --restart and --rm"),
        ] {
            let out = try r.cnc(["run", "--network", "none"] + args + ["bb:1", "true"])
            #expect(out.status == 125 && out.stderr == "Error: \(error)\n", "\(args): \(out.status) \(out.stderr)")
        }
        #expect(try r.cnc(["ps", "-a", "-q"]).stdout.isEmpty)
        let empty = try r.cnc(["run", "--rm", "--network", "none", "-w", "", "bb:1", "pwd"])
        #expect(empty.status == 0 && empty.stdout == "/\n", "\(empty.stdout)\(empty.stderr)")
    }

    /// kill, pause and cp refuse in docker's daemon's words; the container is left as it was.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func killPauseCopyRefusalsInDockersWords() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["run", "-d", "--network", "none", "--name", "kp", "bb:1", "sleep", "60"]).status == 0)
        let id = try r.cnc(["inspect", "--format", "{{.Id}}", "kp"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let kill = try r.cnc(["kill", "-s", "BOGUS", "kp"])
        #expect(kill.status == 1 && kill.stderr == "Error: Invalid signal: BOGUS\n", "\(kill.stderr)")
        let dir = r.dir + "/out"
        let cp = try r.cnc(["cp", "kp:/nope", dir])
        #expect(cp.status == 1 && cp.stderr == "Error: Could not find the file /nope in container kp\n", "\(cp.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(try r.cnc(["pause", "kp"]).status == 0)
        let again = try r.cnc(["pause", "kp"])
        #expect(again.status == 1 && again.stderr == "Error: Container \(id) is already paused\n", "\(again.stderr)")
        #expect(try r.status("kp") == "paused")
        #expect(try r.cnc(["unpause", "kp"]).status == 0)
        #expect(try r.cnc(["stop", "-t", "0", "kp"]).status == 0)
        // A stopped container's files are read through its held rootfs: the same words.
        let stopped = try r.cnc(["cp", "kp:/nope", dir])
        #expect(stopped.status == 1 && stopped.stderr == "Error: Could not find the file /nope in container kp\n", "\(stopped.stderr)")
    }

    /// `ps -n N` / `ps -l` (docker's --last/--latest): the last created containers of every
    /// state, newest first; -n -1 is no limit.
    @Test(.enabled(if: BusyboxRoot.canRun, "needs root and the built binaries"))
    func psLastAndLatest() throws {
        let r = try BusyboxRoot()
        #expect(try r.cnc(["run", "-d", "--network", "none", "--name", "first", "bb:1", "sleep", "60"]).status == 0)
        #expect(try r.cnc(["create", "--network", "none", "--name", "second", "bb:1", "true"]).status == 0)
        #expect(try r.cnc(["create", "--network", "none", "--name", "third", "bb:1", "true"]).status == 0)
        func names(_ args: [String]) throws -> String { try r.cnc(["ps"] + args + ["--format", "{{.Names}}"]).stdout }
        #expect(try names(["-l"]) == "third\n")
        #expect(try names(["--latest"]) == "third\n")
        #expect(try names(["-n", "2"]) == "third\nsecond\n")
        #expect(try names(["--last", "5"]) == "third\nsecond\nfirst\n")
        #expect(try names(["-n", "-1"]) == "first\n")
        #expect(try r.cnc(["ps", "-q", "-n", "2"]).stdout.split(separator: "\n").count == 2)
        #expect(try names(["-n", "1", "--filter", "name=first"]) == "first\n")
    }
}
