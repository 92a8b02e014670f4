import ArgumentParser
import Foundation
import Testing
@testable import CNCCLI
@testable import CNCStart

/// The start path's table-driven parser must read `run`/`create` exactly as ArgumentParser does.
@Suite struct RunFlagsParseTests {
    /// ArgumentParser's reading of `run ARGS` (or `create ARGS`), as an Invocation.
    func viaArgumentParser(_ verb: String = "run", _ args: [String]) throws -> RunFlags.Invocation {
        if verb == "create" {
            let c = try ContainerCreate.parse(args)
            var inv = RunFlags.Invocation(flags: c.options.flags, rm: c.rm, root: c.global.root, logLevel: c.global.logLevel.map { $0.level.rawValue })
            inv.cgroupManager = c.global.cgroupManager
            return inv
        }
        let c = try ContainerRun.parse(args)
        var inv = RunFlags.Invocation(flags: c.options.flags, detach: c.detach, rm: c.rm, root: c.global.root,
                                      logLevel: c.global.logLevel.map { $0.level.rawValue })
        inv.cgroupManager = c.global.cgroupManager
        inv.detachKeys = c.detachKeys
        inv.sigProxy = c.sigProxy
        return inv
    }

    @Test func bothParsersKnowTheSameNames() throws {
        let declared = try DeclaredArgument.of(ContainerRun.self)
        #expect(declared.count > 50)
        let longs = declared.compactMap(\.long)
        #expect(Set(longs) == Set(RunFlags.longNames), "fast parser and ArgumentParser disagree on run's options")
        #expect(Set(RunFlags.longNames).count == RunFlags.longNames.count)
        #expect(Set(declared.filter { $0.kind == "flag" }.compactMap(\.long)) == RunFlags.flagNames)
        let shorts = declared.filter { $0.short != nil }
        for a in shorts { #expect(RunFlags.shortNames[a.short ?? " "] == a.long, "-\(a.short ?? " ") should mean --\(a.long ?? "")") }
        #expect(RunFlags.shortNames.count == shorts.count)
    }

    /// Every option and flag `run` and `create` declare, read from ArgumentParser's own dump of
    /// the command (so a new option is covered the day it is added), with a valid sample value:
    /// both parsers must read it alike, and it must change the result.
    /// (`create` declares the same minus --detach: everySpellingParsesAlike covers it. An
    /// ArgumentParser parse costs ~50 ms in a debug build, so this stays one per option.)
    @Test(arguments: try DeclaredArgument.of(ContainerRun.self))
    func eachDeclaredOptionParsesAlike(_ argument: DeclaredArgument) throws {
        let args = argument.spelled(argument.sampleValues.0) + ["img"]
        let fast = try #require(RunFlags.parseFast(args, withDetach: true), "fast parser declined \(args)")
        let reference = try viaArgumentParser("run", args)
        #expect(fast == reference, "\(args)")
        // --sig-proxy is on by default: its --no-sig-proxy (a declared flag too) is what changes it.
        if argument.long != "sig-proxy" {
            #expect(reference != RunFlags.parseFast(["img"], withDetach: true), "\(args) changed nothing: is it mapped into RunFlags?")
        }
    }

    /// Every declared option of `run` and `create` at once in each spelling: once, twice (a
    /// repeating option appends, another keeps the last), `--name=value`, the short name, and
    /// an enumerated value in capitals (ArgumentParser reads those case-insensitively).
    @Test(arguments: ["run", "create"])
    func everySpellingParsesAlike(_ verb: String) throws {
        let declared = try DeclaredArgument.of(verb == "run" ? ContainerRun.self : ContainerCreate.self)
        var once: [String] = [], twice: [String] = [], inline: [String] = [], shorts: [String] = [], capitals: [String] = []
        for a in declared {
            let (v1, v2) = a.sampleValues
            once += a.spelled(v1)
            twice += a.spelled(v1) + a.spelled(v2)
            if let long = a.long, a.kind != "flag" { inline.append("--\(long)=\(v1)") }
            if let s = a.short { shorts += ["-" + String(s)] + (a.kind == "flag" ? [] : [v1]) }
            if a.allValues != nil { capitals += a.spelled(v2.uppercased()) }
        }
        for args in [once, twice, inline, shorts, capitals] {
            let fast = try #require(RunFlags.parseFast(args + ["img"], withDetach: verb == "run"), "fast parser declined \(verb) \(args)")
            let reference = try viaArgumentParser(verb, args + ["img"])
            #expect(fast == reference, "\(verb) \(args)")
        }
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
        ["--userns", "auto:size=1000", "--userns=0:200000:65536", "-v", "/a:/b:U,idmap,ro", "-v", "v:/c:U", "img"],
        ["--userns", "auto", "--mount", "type=bind,src=/a,dst=/b,idmap", "--mount", "type=volume,src=v,dst=/c,U=true,idmap=false", "img"],
        ["--cpuset-cpus", "0", "--cpuset-mems", "0", "--memory-reservation", "32m", "--health-timeout", "2s",
         "--health-start-period", "1s", "--publish", "80", "--publish-all", "--volume", "v:/d", "-i", "-t", "img", "x"],
    ]

    @Test(arguments: samples) func agreesWithArgumentParser(_ args: [String]) throws {
        let fast = try #require(RunFlags.parseFast(args, withDetach: true), "fast parser declined \(args)")
        #expect(fast == (try viaArgumentParser("run", args)))
    }

    /// What the fast parser leaves to ArgumentParser (which then accepts or explains).
    @Test(arguments: [
        ["--help"], [], ["--rm"], ["--", "img"], ["--bogus", "img"], ["-x", "img"], ["-ed", "A", "img"],
        ["--memory-swap", "-1", "img"], ["--cpu-shares", "many", "img"], ["--rm=yes", "img"], ["-i=false", "img"], ["--name"],
        ["-e=A", "img"], ["-eB", "img"], ["--log-level", "loud", "img"],
    ])
    func declines(_ args: [String]) {
        #expect(RunFlags.parseFast(args, withDetach: true) == nil)
    }

    /// podman's `--mount` keys for user namespaces: `U`/`chown` and `idmap` (bare or =true/false).
    @Test(arguments: [
        ("type=bind,src=/a,dst=/b,idmap", "idmap"), ("type=bind,src=/a,dst=/b,U=true,idmap=true", "U,idmap"),
        ("type=volume,src=v,dst=/c,chown=true", "U"), ("type=volume,src=v,dst=/c,U=false,idmap=false", ""),
    ])
    func mountTakesUAndIdmap(_ text: String, _ options: String) throws {
        #expect(try RunFlags.parseMount(text).options == options)
    }

    @Test(arguments: [
        ("type=bind,src=/a,dst=/b,idmap=uids=0-1-10", "invalid --mount \"type=bind,src=/a,dst=/b,idmap=uids=0-1-10\": idmap takes true or false"),
        ("type=tmpfs,dst=/t,U", "invalid --mount \"type=tmpfs,dst=/t,U\": U and idmap apply to bind and volume mounts"),
    ])
    func mountRefusesUsernsOptionsItCannotHonour(_ text: String, _ message: String) {
        #expect { try RunFlags.parseMount(text) } throws: { "\($0)".contains(message) }
    }

    @Test func createHasNoDetach() {
        #expect(RunFlags.parseFast(["-d", "img"], withDetach: false) == nil)
        #expect(RunFlags.parseFast(["--detach-keys", "ctrl-a,x", "img"], withDetach: false) == nil)
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

/// One option or flag as a command declares it, from ArgumentParser's JSON dump of the command
/// (ToolInfo v0, what `--experimental-dump-help` prints).
struct DeclaredArgument: Decodable, Sendable, CustomTestStringConvertible {
    struct Name: Decodable, Sendable { var kind: String; var name: String }
    struct Dump: Decodable { struct Command: Decodable { var arguments: [DeclaredArgument]? }; var command: Command }

    var kind: String
    var names: [Name]?
    var isRepeating: Bool
    var allValues: [String]?

    var long: String? { names?.first { $0.kind == "long" }?.name }
    var short: Character? { names?.first { $0.kind == "short" }?.name.first }
    var testDescription: String { "--" + (long ?? "?") }

    /// `--name VALUE`, or `--name` for a flag.
    func spelled(_ value: String) -> [String] { ["--" + (long ?? "")] + (kind == "flag" ? [] : [value]) }

    /// Two valid values: the first of an enumerated type's values, else digits (which every
    /// String and integer option takes).
    var sampleValues: (String, String) {
        guard let all = allValues, let first = all.first else { return ("7", "8") }
        return (first, all.dropFirst().first ?? first)
    }

    /// The options and flags `command` declares (--help excluded; positionals are not options).
    static func of(_ command: any ParsableCommand.Type) throws -> [DeclaredArgument] {
        let dump = try JSONDecoder().decode(Dump.self, from: Data(command._dumpHelp().utf8))
        return (dump.command.arguments ?? []).filter { $0.kind != "positional" && $0.long != "help" }
    }
}
