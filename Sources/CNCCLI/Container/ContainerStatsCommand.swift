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
    @Argument var containers: [String] = []

    func run() throws {
        let r = try global.runtime()
        var targets = containers.isEmpty ? r.list().filter { all || $0.state.isActive } : try containers.map { try r.container($0) }
        targets = targets.filter { $0.state.isActive || all }
        while true {
            var first: [ContainerID: ContainerStats] = [:]
            for c in targets { first[c.config.id] = try? r.stats(c) }
            Processes.sleep(milliseconds: 500)
            print("CONTAINER ID   NAME                 CPU %     MEM USAGE / LIMIT       MEM %     NET I/O             BLOCK I/O           PIDS")
            for c in targets {
                guard let a = first[c.config.id], let b = try? r.stats(c) else { continue }
                let dt = Double(b.sampledAt - a.sampledAt)
                let cpu = dt > 0 ? Double(b.cgroup.cpuUsageNanos - a.cgroup.cpuUsageNanos) / dt * 100 : 0
                let limit = b.cgroup.memoryLimit ?? Int64(hostMemory())
                let memPct = limit > 0 ? Double(b.cgroup.memoryUsage) / Double(limit) * 100 : 0
                func sz(_ n: Int64) -> String { ByteSize(bytes: n).description }
                print(pad(c.config.id.short, 15) + pad(c.config.name, 21) + pad(String(format: "%.2f%%", cpu), 10)
                      + pad("\(sz(b.cgroup.memoryUsage)) / \(sz(limit))", 24) + pad(String(format: "%.2f%%", memPct), 10)
                      + pad("\(sz(b.netRx)) / \(sz(b.netTx))", 20) + pad("\(sz(b.cgroup.blockRead)) / \(sz(b.cgroup.blockWrite))", 20)
                      + "\(b.cgroup.pids)")
            }
            if noStream { return }
            targets = try targets.map { try r.container($0.config.id.rawValue) }.filter { $0.state.isActive || all }
        }
    }

    func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count + 1), withPad: " ", startingAt: 0) }

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
    @Argument var container: String

    func run() throws {
        let r = try global.runtime()
        let c = try r.container(container)
        guard c.state.isActive else { throw CNCError(.conflict, "container \(c.config.name) is not running") }
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
