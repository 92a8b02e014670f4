import ArgumentParser
import Testing
@testable import CNCCLI
@testable import CNCStart

/// The start path's table-driven parser must read `run`/`create` exactly as ArgumentParser does.
@Suite struct RunFlagsParseTests {
    /// ArgumentParser's reading of `run ARGS`, as an Invocation.
    func viaArgumentParser(_ args: [String]) throws -> RunFlags.Invocation {
        let c = try ContainerRun.parse(args)
        return RunFlags.Invocation(flags: c.options.flags, detach: c.detach, rm: c.rm, root: c.global.root,
                                   logLevel: c.global.logLevel.map { $0.level.rawValue })
    }

    /// Every `-x, --name` pair in `run --help` (hidden options included).
    func helpNames() -> [(short: Character?, long: String)] {
        var out: [(Character?, String)] = []
        for line in ContainerRun.helpMessage(includeHidden: true).split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            var short: Character?
            for w in words {
                if w.hasPrefix("--") {
                    let name = String(w.dropFirst(2).prefix { $0 != "," && $0 != " " })
                    if name != "help" { out.append((short, name)) }
                    break
                } else if w.hasPrefix("-") && w.count == 3 && w.hasSuffix(",") {
                    short = w.dropFirst().first
                } else {
                    break
                }
            }
        }
        return out
    }

    @Test func bothParsersKnowTheSameNames() {
        let names = helpNames()
        #expect(names.count > 50)
        let helpLongs = Set(names.map(\.long))
        #expect(helpLongs == Set(RunFlags.longNames), "fast parser and ArgumentParser disagree on run's options")
        #expect(Set(RunFlags.longNames).count == RunFlags.longNames.count)
        #expect(RunFlags.flagNames.isSubset(of: helpLongs))
        // Every name is one the parser's switch takes (a flag alone, an option with a value).
        for long in RunFlags.longNames {
            let args = RunFlags.flagNames.contains(long) ? ["--" + long, "img"] : ["--" + long, "1", "img"]
            #expect(RunFlags.parseFast(args, withDetach: true) != nil, "--\(long)")
        }
        for (short, long) in names {
            if let short { #expect(RunFlags.shortNames[short] == long, "-\(short) should mean --\(long)") }
        }
        #expect(Set(RunFlags.shortNames.values).isSubset(of: helpLongs))
        #expect(RunFlags.shortNames.count == names.filter { $0.short != nil }.count)
    }

    static let samples: [[String]] = [
        ["busybox"],
        ["--rm", "--network", "none", "busybox:bench", "/bin/true"],
        ["-d", "--name", "web", "-p", "127.0.0.1:8080:80", "-e", "A=1", "img"],
        ["-dit", "img", "sh", "-c", "echo -n hi"],
        ["--name=x", "--env=A=B=C", "--cpus", "0.5", "-m", "64m", "--memory-swap", "128m", "img", "--rm", "-d"],
        ["--cpu-shares", "512", "--cpu-quota", "20000", "--cpu-period", "100000", "--pids-limit", "10", "img"],
        ["--stop-timeout", "3", "--health-retries", "2", "--health-cmd", "true", "--health-interval", "1s", "img"],
        ["-v", "/a:/b:ro", "--mount", "type=tmpfs,target=/t", "--tmpfs", "/run", "--read-only", "--init", "img"],
        ["--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--security-opt", "seccomp=unconfined", "--ulimit", "nofile=10:20", "img"],
        ["--restart", "on-failure:3", "--stop-signal", "SIGINT", "-l", "a=b", "--label", "c", "-u", "1000:1000", "-w", "/tmp", "img"],
        ["-h", "box", "--dns", "10.0.0.1", "--dns-search", "x", "--dns-option", "ndots:1", "--add-host", "h:1.2.3.4", "img"],
        ["--network", "net1", "--ip", "10.1.0.5", "--network-alias", "a", "-P", "--log-opt", "max-size=1m", "img"],
        ["--root", "/tmp/r", "--log-level", "debug", "--cgroup-parent", "p", "--oom-kill-disable", "--blkio-weight", "300", "img"],
        ["--rootfs", "/tmp/rootfs", "--entrypoint", "", "--no-healthcheck", "--env-file", "f", "--device-cgroup-rule", "c 1:3 rwm", "img"],
        ["--name", "a", "--name", "b", "--rm", "--rm", "img"],
        ["--cpuset-cpus", "0", "--cpuset-mems", "0", "--memory-reservation", "32m", "--health-timeout", "2s",
         "--health-start-period", "1s", "--publish", "80", "--publish-all", "--volume", "v:/d", "-i", "-t", "img", "x"],
    ]

    @Test(arguments: samples) func agreesWithArgumentParser(_ args: [String]) throws {
        let fast = try #require(RunFlags.parseFast(args, withDetach: true), "fast parser declined \(args)")
        #expect(fast == (try viaArgumentParser(args)))
    }

    /// What the fast parser leaves to ArgumentParser (which then accepts or explains).
    @Test(arguments: [
        ["--help"], [], ["--rm"], ["--", "img"], ["--bogus", "img"], ["-x", "img"], ["-ed", "A", "img"],
        ["--memory-swap", "-1", "img"], ["--cpu-shares", "many", "img"], ["--rm=true", "img"], ["--name"],
        ["-e=A", "img"], ["-eB", "img"],
    ])
    func declines(_ args: [String]) {
        #expect(RunFlags.parseFast(args, withDetach: true) == nil)
    }

    @Test func createHasNoDetach() {
        #expect(RunFlags.parseFast(["-d", "img"], withDetach: false) == nil)
        #expect(RunFlags.parseFast(["--rm", "img"], withDetach: false)?.rm == true)
    }

    @Test func leadingGlobalOptions() {
        let g = LeadingGlobalOptions(["--root", "/r", "--log-level=debug", "--root=/s", "run", "--rm", "img"])
        #expect(g.values.map(\.name) == ["--root", "--log-level", "--root"])
        #expect(g.value("--root") == "/s" && g.value("--log-level") == "debug" && g.missingValue == nil)
        #expect(g.rest == ["run", "--rm", "img"])
        let other = LeadingGlobalOptions(["--help", "run"])
        #expect(other.values.isEmpty && other.rest == ["--help", "run"])
        let missing = LeadingGlobalOptions(["--log-level", "info", "--root"])
        #expect(missing.missingValue == "--root" && missing.value("--log-level") == "info" && missing.rest.isEmpty)
    }
}
