import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem
import Foundation

/// `cnc stats`: cpu %, memory usage/limit, net and block io, pids.
struct ContainerStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Display a live stream of container resource usage statistics.",
        discussion: "EXAMPLES\n  cnc stats\n  cnc stats --no-stream web\n  cnc stats -a --no-stream --format '{{json .}}'")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Disable streaming stats and only pull the first result.") var noStream = false
    @Flag(name: [.customShort("a"), .long], help: "Show all containers (default shows just running).") var all = false
    @Option(name: .long, help: "Format output using a Go template ({{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}; \"table\" adds a header; json).") var format: String?
    @Argument(completion: .containerNames) var containers: [String] = []

    func run() throws {
        let r = try global.runtime()
        let t = GoTemplate(format.map { $0 == "json" ? "{{json .}}" : $0 } ?? Self.defaultFormat)
        try t.validate()
        // As docker: a terminal gets the table redrawn in place; a pipe gets each refresh
        // appended, written at once (never held in a buffer), so a reader sees it live.
        let terminal = TerminalInfo.isTerminal(1)
        func current() throws -> [Container] {
            containers.isEmpty ? r.list().filter { all || $0.state.isActive } : try containers.map { try r.container($0) }
        }
        var targets = try current()
        while true {
            var first: [ContainerID: ContainerStats] = [:]
            for c in targets { first[c.config.id] = try? r.stats(c) }
            Processes.sleep(milliseconds: 500)
            var rows: [JSONValue] = []
            let memory = Self.hostMemory()
            for c in targets {
                let b = c.state.isActive ? try? r.stats(c) : nil
                rows.append(Self.row(c, from: first[c.config.id], to: b, hostMemory: memory))
            }
            var text = noStream || !terminal ? "" : "\u{1B}[2J\u{1B}[H"
            let lines = try rows.map { try t.render(json: $0) }
            if t.isTable { text += TabWriter.format([t.header(Self.headers)] + lines) } else { text += lines.map { $0 + "\n" }.joined() }
            TerminalInfo.writeStdout(text)
            if noStream { return }
            // Without names, containers come and go as they start and stop, as in docker.
            targets = containers.isEmpty ? try current() : targets.compactMap { try? r.container($0.config.id.rawValue) }
        }
    }

    static let defaultFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

    static let headers = ["Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
                          "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"]

    /// One container's row (docker's fields and units); a container that is not running shows
    /// zeros, as docker's does.
    static func row(_ c: Container, from a: ContainerStats?, to b: ContainerStats?, hostMemory: Int64) -> JSONValue {
        var cpu = 0.0, usage: Int64 = 0, limit: Int64 = 0, memPct = 0.0
        var net = "0B / 0B", block = "0B / 0B", pids = "0"
        if let a, let b {
            let dt = Double(b.sampledAt - a.sampledAt)
            cpu = dt > 0 ? Double(b.cgroup.cpuUsageNanos - a.cgroup.cpuUsageNanos) / dt * 100 : 0
            usage = b.cgroup.memoryUsage
            limit = b.cgroup.memoryLimit ?? hostMemory
            memPct = limit > 0 ? Double(usage) / Double(limit) * 100 : 0
            net = "\(Units.humanSize(b.netRx, precision: 3)) / \(Units.humanSize(b.netTx, precision: 3))"
            block = "\(Units.humanSize(b.cgroup.blockRead, precision: 3)) / \(Units.humanSize(b.cgroup.blockWrite, precision: 3))"
            pids = String(b.cgroup.pids)
        }
        return .object([
            "Container": .string(c.config.id.short), "ID": .string(c.config.id.short), "Name": .string(c.config.name),
            "CPUPerc": .string(String(format: "%.2f%%", cpu)), "MemUsage": .string("\(Units.bytesSize(usage)) / \(Units.bytesSize(limit))"),
            "MemPerc": .string(String(format: "%.2f%%", memPct)), "NetIO": .string(net), "BlockIO": .string(block), "PIDs": .string(pids),
        ])
    }

    static func hostMemory() -> Int64 {
        let text = (try? FileSystem.readText("/proc/meminfo")) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
        return (line?.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? 0) * 1024
    }
}

/// `cnc top`: the container's processes.
struct ContainerTop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes of a container.",
        discussion: "EXAMPLES\n  cnc top web\n  cnc top web aux")
    @OptionGroup var global: GlobalOptions
    @Argument(completion: .containerNames) var container: String
    @Argument(parsing: .captureForPassthrough, help: "ps options (default -ef), as docker top takes them.") var psOptions: [String] = []

    func run() throws {
        let r = try global.runtime()
        let c = try r.container(container)
        guard c.state.isActive else { throw c.notRunning }
        let pids = Set(r.top(c).map(\.pid))
        // As docker does: the host's ps with the given options, keeping the container's rows.
        if let ps = ["/usr/bin/ps", "/bin/ps"].first(where: FileSystem.isExecutable) {
            let out = try Spawn.output(ps, psOptions.isEmpty ? ["-ef"] : psOptions)
            var lines = out.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            guard !lines.isEmpty else { return }
            let header = lines.removeFirst()
            guard let column = header.split(separator: " ", omittingEmptySubsequences: true).firstIndex(of: "PID") else {
                throw CNCError(.invalidArgument, "couldn't find PID field in ps output (ps \(psOptions.joined(separator: " ")))")
            }
            print(header)
            for line in lines {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if column < fields.count, let pid = Int32(fields[column]), pids.contains(pid) { print(line) }
            }
            return
        }
        guard psOptions.isEmpty else { throw CNCError(.unsupported, "ps options need the host's ps (procps), which is not installed") }
        print("UID        PID        PPID       TIME       CMD")
        let hz = max(1, Processes.clockTicks)
        for p in r.top(c) {
            let secs = Int(p.cpuTicks) / hz
            let time = String(format: "%02d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60)
            print(String(p.uid).padding(toLength: 11, withPad: " ", startingAt: 0) + String(p.pid).padding(toLength: 11, withPad: " ", startingAt: 0)
                  + String(p.ppid).padding(toLength: 11, withPad: " ", startingAt: 0) + time.padding(toLength: 11, withPad: " ", startingAt: 0) + p.command)
        }
    }
}
