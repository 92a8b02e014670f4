import CNCCore
import CNCEngine
import CNCSystem
import Foundation
import CNCTestSupport
import Testing

/// Runs the built `cnc` / `cncapply` binaries as a user would.
enum CLI {
    static var binDir: String {
        // The test bundle sits in the same build directory as the executables.
        let bundle = Bundle.main.bundlePath
        var dir = URL(fileURLWithPath: bundle).deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("cnc").path) {
            dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        }
        return dir.path
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ tool: String, _ args: [String], env: [String: String] = [:]) throws -> Result {
        try exec(binDir + "/" + tool, args, env: env)
    }

    /// Runs `path` to its end and collects both outputs at once. Through CNCSystem's spawn and
    /// waitpid, not Foundation's Process: with dozens of suites spawning in parallel, a
    /// Process sometimes never noticed its child had exited and the whole run hung.
    static func exec(_ path: String, _ args: [String], env: [String: String] = [:], baseEnvironment: [String: String]? = nil,
                     stdin: String? = nil, cwd: String? = nil) throws -> Result {
        var environment = baseEnvironment ?? ProcessInfo.processInfo.environment
        // A network's DNS server (cnc-dns) forwards nothing unless a test says where: no test
        // may query the host's resolvers.
        if environment["CNC_DNS_UPSTREAM"] == nil { environment["CNC_DNS_UPSTREAM"] = "none" }
        for (k, v) in env { environment[k] = v }
        let r = try Spawn.capture(path, args, environment: environment.map { "\($0.key)=\($0.value)" },
                                  stdin: stdin.map { Array($0.utf8) }, workingDirectory: cwd)
        return Result(status: r.termination.shellStatus, stdout: String(decoding: r.stdout, as: UTF8.self),
                      stderr: String(decoding: r.stderr, as: UTF8.self))
    }
}

@Suite struct InfoCommandTests {
    @Test func infoJSONDescribesThisHost() throws {
        let r = try CLI.run("cnc", ["info", "--format", "json", "--root", "/tmp/cnc-info-test-root"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let info = try JSONDecoder().decode(HostInfo.self, from: Data(r.stdout.utf8))
        #expect(info.stateRoot == "/tmp/cnc-info-test-root")
        #expect(info.runRoot == "/tmp/cnc-info-test-root/run")
        // What this host (and CI, the same kind of machine) must report; probed, never assumed.
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        if mountinfo.contains(" /sys/fs/cgroup/unified ") && mountinfo.contains(" /sys/fs/cgroup/memory ") {
            #expect(info.cgroups.mode == .hybrid)
            #expect(info.cgroups.controllers["memory"] == "v1 /sys/fs/cgroup/memory")
            #expect(info.cgroups.missingControllers.isEmpty)
        }
        // auto: cgroupfs where PID 1 is not systemd (systemd hosts: SystemdRuntimeTests).
        let pid1 = (try? String(contentsOfFile: "/proc/1/comm", encoding: .utf8))?.trimmingSpaces
        if pid1 != "systemd" {
            #expect(info.cgroups.driver == .cgroupfs)
            #expect(info.cgroups.driverReason == "auto: PID 1 is not systemd (it is \"\(pid1 ?? "")\")")
            #expect(!info.systemdIsPID1)
        }
        let filesystems = try String(contentsOfFile: "/proc/filesystems", encoding: .utf8)
        #expect(info.overlaySupported == filesystems.contains("\toverlay"))
    }

    @Test func infoTextAndEnvRoot() throws {
        let r = try CLI.run("cnc", ["info"], env: ["CNC_ROOT": "/tmp/cnc-env-root"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("State root:       /tmp/cnc-env-root"))
        let pid1 = (try? String(contentsOfFile: "/proc/1/comm", encoding: .utf8))?.trimmingSpaces
        if pid1 != "systemd" { #expect(r.stdout.contains("Cgroup driver:    cgroupfs (auto: PID 1 is not systemd"), "\(r.stdout)") }
        let asked = try CLI.run("cnc", ["info", "--cgroup-manager", "cgroupfs"], env: ["CNC_ROOT": "/tmp/cnc-env-root"])
        #expect(asked.stdout.contains("Cgroup driver:    cgroupfs (asked for with --cgroup-manager cgroupfs)"), "\(asked.stdout)")
        let env = try CLI.run("cnc", ["info"], env: ["CNC_ROOT": "/tmp/cnc-env-root", "CNC_CGROUP_MANAGER": "cgroupfs"])
        #expect(env.stdout.contains("Cgroup driver:    cgroupfs (asked for with CNC_CGROUP_MANAGER=cgroupfs)"), "\(env.stdout)")
        let bad = try CLI.run("cnc", ["info", "--cgroup-manager", "systemdd"], env: ["CNC_ROOT": "/tmp/cnc-env-root"])
        #expect(bad.stdout.contains("invalid --cgroup-manager \"systemdd\": want systemd, cgroupfs or auto"), "\(bad.stdout)\(bad.stderr)")
        #expect(r.stdout.contains("Overlay:"))
    }

    @Test func globalOptionsBeforeTheSubcommand() throws {
        let r = try CLI.run("cnc", ["--root", "/tmp/cnc-hoisted-root", "--log-level=error", "info", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(try JSONDecoder().decode(HostInfo.self, from: Data(r.stdout.utf8)).stateRoot == "/tmp/cnc-hoisted-root")
        let bad = try CLI.run("cnc", ["--log-level", "loud", "info"])
        #expect(bad.status == 125 && bad.stderr.hasPrefix("invalid argument \"loud\" for \"--log-level\" flag"), "\(bad.stderr)")
    }

    @Test func versionAndBadFlags() throws {
        let v = try CLI.run("cnc", ["version"])
        #expect(v.status == 0 && v.stdout.hasPrefix("cnc version \(CNCVersion.current)"))
        let a = try CLI.run("cncapply", ["version", "--format", "json"])
        #expect(a.status == 0 && a.stdout.contains("\"version\": \"\(CNCVersion.current)\""))
        // `--format` takes docker's templates: a word with no action is printed as it is (docker too).
        let word = try CLI.run("cnc", ["info", "--format", "yaml"])
        #expect(word.status == 0 && word.stdout == "yaml\n", "\(word.stdout)\(word.stderr)")
        let bad = try CLI.run("cnc", ["info", "--format"])
        #expect(bad.status == 125)
        #expect(bad.stderr == "flag needs an argument: --format\nSee 'cnc info --help'.\n", "\(bad.stderr)")
        let lvl = try CLI.run("cnc", ["info", "--log-level", "loud"])
        #expect(lvl.status == 125)
    }

    /// Docker's cobra for every command: an unknown flag or a bad or missing value is exit 125
    /// with its words and the command's help hint; a missing argument is exit 1.
    @Test(arguments: [
        (["run", "--foo", "busybox"], "unknown flag: --foo\nSee 'cnc run --help'.\n", Int32(125)),
        (["create", "--foo", "busybox"], "unknown flag: --foo\nSee 'cnc create --help'.\n", 125),
        (["ps", "--foo"], "unknown flag: --foo\nSee 'cnc ps --help'.\n", 125),
        (["ps", "-z"], "unknown shorthand flag: 'z' in -z\nSee 'cnc ps --help'.\n", 125),
        (["ps", "--format"], "flag needs an argument: --format\nSee 'cnc ps --help'.\n", 125),
        (["container", "ls", "--bogus"], "unknown flag: --bogus\nSee 'cnc container ls --help'.\n", 125),
        (["network", "create", "--nope", "x"], "unknown flag: --nope\nSee 'cnc network create --help'.\n", 125),
        (["exec", "--foo", "c", "true"], "unknown flag: --foo\nSee 'cnc exec --help'.\n", 125),
        (["start", "--foo", "c"], "unknown flag: --foo\nSee 'cnc start --help'.\n", 125),
        (["pull", "--nope", "x"], "unknown flag: --nope\nSee 'cnc pull --help'.\n", 125),
        (["images", "--nope"], "unknown flag: --nope\nSee 'cnc images --help'.\n", 125),
        (["run"], "\"cnc run\" requires at least 1 argument.\nSee 'cnc run --help'.\n", 1),
    ])
    func usageErrorsAsDockersCobra(args: [String], stderr: String, status: Int32) throws {
        let r = try CLI.run("cnc", args + ["--root", "/tmp/cnc-usage-\(ContainerID.random().short)"])
        #expect(r.status == status && r.stderr == stderr, "\(args): \(r.status) \(r.stderr)")
    }

    /// Docker's habits: an unknown command is named (with the help that lists the real ones),
    /// `rm -f` of a missing container is not an error, and errors carry one prefix with no
    /// daemon in it.
    @Test func unknownCommandsAndMissingContainersAsDocker() throws {
        let root = "/tmp/cnc-cli-missing-\(ContainerID.random().short)"
        defer { TestRoots.removeNetworks(root); try? FileManager.default.removeItem(atPath: root) }
        let unknown = try CLI.run("cnc", ["frobnicate", "x", "y"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("cnc: 'frobnicate' is not a cnc command.\nSee 'cnc --help'.\n"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("SUBCOMMANDS") && !unknown.stderr.contains("nexpected argument"), "\(unknown.stderr)")
        // cncapply too, although a bare `cncapply` applies: its apply takes no such word.
        let app = try CLI.run("cncapply", ["frobnicate"])
        #expect(app.status == 1 && app.stderr.hasPrefix("cncapply: 'frobnicate' is not a cncapply command.\nSee 'cncapply --help'.\n"), "\(app.stderr)")
        #expect(app.stderr.contains("SUBCOMMANDS") && !app.stderr.contains("nexpected argument"), "\(app.stderr)")
        // A group's unknown command too (`docker volume bogus`), with the group's help; its
        // real commands and options are untouched.
        for group in ["volume", "system", "network", "container", "image"] {
            let sub = try CLI.run("cnc", [group, "bogus", "x"])
            #expect(sub.status == 1 && sub.stderr.hasPrefix("cnc: '\(group) bogus' is not a cnc command.\nSee 'cnc \(group) --help'.\n\nOVERVIEW: "), "\(sub.stderr)")
            #expect(sub.stderr.contains("SUBCOMMANDS") && !sub.stderr.contains("nexpected argument"), "\(sub.stderr)")
        }
        let badFlag = try CLI.run("cnc", ["volume", "ls", "--bogus"])
        #expect(badFlag.status == 125 && badFlag.stderr.hasPrefix("unknown flag: --bogus"), "\(badFlag.stderr)")
        let rmf = try CLI.run("cnc", ["rm", "-f", "--root", root, "nosuch"])
        // docker's CLI prints the daemon's "No such container" and exits 0.
        #expect(rmf.status == 0 && rmf.stdout.isEmpty && rmf.stderr == "Error: No such container: nosuch\n", "\(rmf.stderr)")
        let rm = try CLI.run("cnc", ["rm", "--root", root, "nosuch"])
        #expect(rm.status == 1)
        #expect(rm.stderr.hasPrefix("Error: ") && rm.stderr.contains("nosuch") && !rm.stderr.contains("daemon"), "\(rm.stderr)")
        let stop = try CLI.run("cnc", ["stop", "--root", root, "nosuch"])
        #expect(stop.status == 1 && stop.stderr.hasPrefix("Error: ") && !stop.stderr.contains("daemon"), "\(stop.stderr)")
    }
}
