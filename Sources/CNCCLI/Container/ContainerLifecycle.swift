import CNCAppCLI
import ArgumentParser
import CNCNetwork
import CNCCgroups
import CNCCore
import CNCRuntime
import CNCStart
import CNCSystem

/// A failure `body` of forEachContainer has already reported on stderr.
struct ReportedFailure: Error {}

/// Runs `body` for each container reference, printing it on success (Docker's output); each
/// failure is an error line, the others go on, and the command exits 1 if any failed.
func forEachContainer(_ refs: [String], printRef: Bool = true, _ body: (String) throws -> Void) throws {
    var failed = false
    for ref in refs {
        do {
            try body(ref)
            if printRef { print(ref) }
        } catch let e as CNCError {
            writeStderr("Error: \(e.description)\n")
            failed = true
        } catch is ReportedFailure {
            failed = true
        }
    }
    if failed { throw ExitCode(1) }
}

struct ContainerStop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop one or more running containers.",
        discussion: "EXAMPLES\n  cnc stop web\n  cnc stop -t 30 web db\n  cnc stop -s SIGINT web")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing the container.") var time: Int?
    @Option(name: [.customShort("s"), .long], help: "Signal to send to the container.") var signal: String?
    @Argument(completion: .containerNames) var containers: [String]
    func run() throws {
        let r = try global.runtime()
        let sig = try signal.map(Runtime.signalNumber)
        // Docker's stop waits silently; cnc says once why a stop will take the whole timeout.
        try forEachContainer(containers) { try r.stop($0, timeout: time, signal: sig, onGraceWait: { writeStderr($0 + "\n") }) }
    }
}

struct ContainerKill: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill one or more running containers.",
        discussion: "EXAMPLES\n  cnc kill web\n  cnc kill -s HUP web")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("s"), .long], help: "Signal to send to the container.") var signal: String = "KILL"
    @Argument(completion: .containerNames) var containers: [String]
    func run() throws {
        let r = try global.runtime()
        let sig = try Runtime.signalNumber(signal)
        try forEachContainer(containers) { try r.kill($0, signal: sig) }
    }
}

struct ContainerRestart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart one or more containers.",
        discussion: "EXAMPLES\n  cnc restart web\n  cnc restart -t 0 web db")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("t"), .long], help: "Seconds to wait before killing the container.") var time: Int?
    @Argument(completion: .containerNames) var containers: [String]
    func run() throws {
        let r = try global.runtime()
        try forEachContainer(containers) { ref in
            try r.stop(ref, timeout: time, onGraceWait: { writeStderr($0 + "\n") })
            let c = try r.container(ref)
            // A start that fails (reported by startAndFollow) fails the restart, as docker's.
            if try ContainerLaunch.startAndFollow(r, c.config, detach: true, interactive: false, tty: c.config.tty) != 0 { throw ReportedFailure() }
            r.record("restart", c.config)
        }
    }
}

struct ContainerRemove: ParsableArguments {
    static let abstract = "Remove one or more containers."
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Force the removal of a running container (uses SIGKILL).") var force = false
    @Flag(name: [.customShort("v"), .long], help: "Remove anonymous volumes associated with the container.") var volumes = false
    @Argument(completion: .containerNames) var containers: [String]
    func run() throws {
        let r = try global.runtime()
        var failed = false
        for (ref, error) in r.removeMany(containers, force: force, volumes: volumes) {
            // Docker: `rm -f` of a container that does not exist is not an error; its CLI still
            // says so on stderr (and exits 0).
            if force, let e = error as? CNCError, e.code == .notFound {
                writeStderr("Error: \(e.description)\n")
                continue
            }
            if let error { writeStderr("Error: \(error)\n"); failed = true } else { print(ref) }
        }
        if failed { throw ExitCode(1) }
    }
}

struct ContainerPause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause all processes within one or more containers.",
        discussion: "EXAMPLES\n  cnc pause web")
    @OptionGroup var global: GlobalOptions
    @Argument(completion: .containerNames) var containers: [String]
    func run() throws {
        let r = try global.runtime()
        try forEachContainer(containers) { try r.pause($0) }
    }
}

struct ContainerUnpause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Unpause all processes within one or more containers.",
        discussion: "EXAMPLES\n  cnc unpause web")
    @OptionGroup var global: GlobalOptions
    @Argument(completion: .containerNames) var containers: [String]
    func run() throws {
        let r = try global.runtime()
        try forEachContainer(containers) { try r.unpause($0) }
    }
}

struct ContainerWait: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Block until containers stop, then print their exit codes.",
        discussion: "EXAMPLES\n  cnc wait job\n  cnc wait web db")
    @OptionGroup var global: GlobalOptions
    @Argument(completion: .containerNames) var containers: [String]
    func run() throws {
        let r = try global.runtime()
        try forEachContainer(containers, printRef: false) { print(try r.wait($0)) }
    }
}

struct ContainerPort: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "port", abstract: "List port mappings for the container.",
        discussion: "EXAMPLES\n  cnc port web\n  cnc port web 80/tcp")
    @OptionGroup var global: GlobalOptions
    @Argument(completion: .containerNames) var container: String
    @Argument var privatePort: String?
    func run() throws {
        // Docker's output: "80/tcp -> 127.0.0.1:8080", one line per published port.
        let c = try global.runtime().container(container)
        let ports = PortsText.published(c, network: NetworkManager(root: global.stateRoot))
        var shown = 0
        for p in ports {
            let key = "\(p.containerPort)/\(p.proto.rawValue)"
            if let privatePort, privatePort != key, privatePort != String(p.containerPort) { continue }
            print("\(key) -> \(p.hostIP?.description ?? "0.0.0.0"):\(p.hostPort)")
            shown += 1
        }
        // docker's CLI: asking for one port that is not published is an error (exit 1).
        if let privatePort, shown == 0 {
            _ = try reportingErrors { throw CNCError(.notFound, "No public port '\(privatePort)' published for \(container)") }
        }
    }
}

struct ContainerUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Update configuration of one or more containers.",
        discussion: "EXAMPLES\n  cnc update --memory 512m --memory-swap 1g web\n  cnc update --cpus 1.5 web db\n  cnc update --restart unless-stopped web")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, parsing: .unconditional) var cpus: String?
    @Option(name: [.customShort("c"), .long]) var cpuShares: Int64?
    @Option(name: .long, parsing: .unconditional, help: "Limit CPU CFS quota (-1 removes it).") var cpuQuota: Int64?
    @Option(name: .long) var cpuPeriod: Int64?
    @Option(name: .long) var cpusetCpus: String?
    @Option(name: .long) var cpusetMems: String?
    @Option(name: [.customShort("m"), .long], parsing: .unconditional, help: "Memory limit (0 leaves it as it is).") var memory: String?
    @Option(name: .long, parsing: .unconditional, help: "Memory soft limit (0 leaves it as it is).") var memoryReservation: String?
    @Option(name: .long, parsing: .unconditional, help: "Swap limit equal to memory plus swap: -1 for unlimited swap.") var memorySwap: String?
    @Option(name: .long, parsing: .unconditional, help: "Tune container pids limit (-1 or 0 for unlimited).") var pidsLimit: Int64?
    @Option(name: .long) var blkioWeight: Int64?
    @Option(name: .long) var restart: String?
    @Argument(completion: .containerNames) var containers: [String]

    func run() throws {
        let r = try global.runtime()
        // Parsed and checked by the code `run` uses; absent flags leave their limit alone.
        var f = RunFlags()
        f.cpus = cpus; f.cpuShares = cpuShares; f.cpuQuota = cpuQuota; f.cpuPeriod = cpuPeriod
        f.cpusetCpus = cpusetCpus; f.cpusetMems = cpusetMems; f.memory = memory; f.memoryReservation = memoryReservation
        f.memorySwap = memorySwap; f.pidsLimit = pidsLimit; f.blkioWeight = blkioWeight
        let limits = try f.resourceLimits()
        let policy = try restart.map(RestartPolicy.init(parsing:))
        try forEachContainer(containers) { try r.update($0, limits: limits, restart: policy, dockerRules: true) }
    }

    /// A memory flag that is no size (`--memory -1`, `abc`) is a usage error, as in docker's CLI
    /// (exit 125, the command's help hint).
    func validate() throws {
        var f = RunFlags()
        f.memory = memory; f.memoryReservation = memoryReservation; f.memorySwap = memorySwap
        do { try f.checkSizes() } catch let e as CNCError { throw ValidationError(e.message) }
    }
}

/// `cnc container prune`: every container that is not running (Docker asks first unless -f).
struct ContainerPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all stopped containers.",
        discussion: "EXAMPLES\n  cnc container prune\n  cnc container prune -f --filter until=24h\n  cnc container prune -f --filter label=env=dev")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Do not prompt for confirmation.") var force = false
    @Option(name: .long, help: "Provide filter values (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE]).", completion: .list(["label=", "label!=", "until="])) var filter: [String] = []

    func run() throws {
        if !force {
            print("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ", terminator: "")
            let answer = readLine()?.trimmingSpaces.lowercased() ?? ""
            guard answer == "y" || answer == "yes" else { return }
        }
        let r = try global.runtime()
        let only = try PruneFilter(filter)
        let stopped = r.list().filter { !$0.state.isActive && only.matches(created: $0.config.created, labels: $0.config.labels) }
        var removed: [String] = []
        var failed = false
        // What their writable layers hold, measured before they go.
        let sizes = Dictionary(stopped.map { ($0.config.id.rawValue, FileSystem.diskUsage($0.directory + "/upper")) }, uniquingKeysWith: { a, _ in a })
        var reclaimed: Int64 = 0
        for (ref, error) in r.removeMany(stopped.map(\.config.id.rawValue)) {
            if let error { writeStderr("Error: \(error)\n"); failed = true } else { removed.append(ref); reclaimed += sizes[ref] ?? 0 }
        }
        if !removed.isEmpty { print("Deleted Containers:\n" + removed.joined(separator: "\n") + "\n") }
        print("Total reclaimed space: \(Units.humanSize(reclaimed))")
        if failed { throw ExitCode(1) }
    }
}
