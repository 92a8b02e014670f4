import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem

/// `cnc stats`: cpu %, memory usage/limit, net and block io, pids.
struct ContainerStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Display a live stream of container resource usage statistics.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Disable streaming stats and only pull the first result.") var noStream = false
    @Flag(name: [.customShort("a"), .long], help: "Show all containers (default shows just running).") var all = false
    @Option(name: .long, help: "Format output using a Go template ({{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}; \"table\" adds a header; json).") var format: String?
    @Argument(completion: .containerNames) var containers: [String] = []

    func run() throws {
        let r = try global.runtime()
        var targets = containers.isEmpty ? r.list().filter { all || $0.state.isActive } : try containers.map { try r.container($0) }
        targets = targets.filter { $0.state.isActive || all }
        while true {
            var first: [ContainerID: ContainerStats] = [:]
            for c in targets { first[c.config.id] = try? r.stats(c) }
            Processes.sleep(milliseconds: 500)
            var rows: [[String: String]] = []
            for c in targets {
                guard let a = first[c.config.id], let b = try? r.stats(c) else { continue }
                let dt = Double(b.sampledAt - a.sampledAt)
                let cpu = dt > 0 ? Double(b.cgroup.cpuUsageNanos - a.cgroup.cpuUsageNanos) / dt * 100 : 0
                let limit = b.cgroup.memoryLimit ?? Int64(hostMemory())
                let memPct = limit > 0 ? Double(b.cgroup.memoryUsage) / Double(limit) * 100 : 0
                func sz(_ n: Int64) -> String { ByteSize(bytes: n).description }
                rows.append(["Container": c.config.id.short, "ID": c.config.id.short, "Name": c.config.name,
                             "CPUPerc": String(format: "%.2f%%", cpu), "MemUsage": "\(sz(b.cgroup.memoryUsage)) / \(sz(limit))",
                             "MemPerc": String(format: "%.2f%%", memPct), "NetIO": "\(sz(b.netRx)) / \(sz(b.netTx))",
                             "BlockIO": "\(sz(b.cgroup.blockRead)) / \(sz(b.cgroup.blockWrite))", "PIDs": "\(b.cgroup.pids)"])
            }
            try show(rows)
            if noStream { return }
            targets = try targets.map { try r.container($0.config.id.rawValue) }.filter { $0.state.isActive || all }
        }
    }

    func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count + 1), withPad: " ", startingAt: 0) }

    static let headers = ["Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
                          "MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS"]

    func show(_ rows: [[String: String]]) throws {
        guard var tmpl = format else {
            print("CONTAINER ID   NAME                 CPU %     MEM USAGE / LIMIT       MEM %     NET I/O             BLOCK I/O           PIDS")
            for r in rows {
                print(pad(r["ID"]!, 15) + pad(r["Name"]!, 21) + pad(r["CPUPerc"]!, 10) + pad(r["MemUsage"]!, 24)
                      + pad(r["MemPerc"]!, 10) + pad(r["NetIO"]!, 20) + pad(r["BlockIO"]!, 20) + r["PIDs"]!)
            }
            return
        }
        if tmpl == "json" { tmpl = "{{json .}}" }
        if tmpl.hasPrefix("table") {
            tmpl = String(tmpl.dropFirst(5)).trimmingSpaces
            var header = tmpl
            for (k, v) in Self.headers { header = header.replacingOccurrences(of: "{{.\(k)}}", with: v) }
            print(header.replacingOccurrences(of: "\\t", with: "\t"))
        }
        for r in rows { print(try GoTemplate.render(tmpl, .object(r.mapValues { .string($0) }))) }
    }

    func hostMemory() -> Int64 {
        let text = (try? FileSystem.readText("/proc/meminfo")) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
        return (line?.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? 0) * 1024
    }
}

/// `cnc top`: the container's processes.
struct ContainerTop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Display the running processes of a container.")
    @OptionGroup var global: GlobalOptions
    @Argument(completion: .containerNames) var container: String
    @Argument(parsing: .captureForPassthrough, help: "ps options (default -ef), as docker top takes them.") var psOptions: [String] = []

    func run() throws {
        let r = try global.runtime()
        let c = try r.container(container)
        guard c.state.isActive else { throw CNCError(.conflict, "container \(c.config.name) is not running") }
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
