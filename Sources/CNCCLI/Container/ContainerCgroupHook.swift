import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime

/// Hidden: the monitor runs this to put a restarted container's new init into its cgroup when
/// only the cgroup manager can (systemd makes the scope with its first pid; the first start
/// does it in-process, before init is released).
struct ContainerCgroupHook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cgroup-attach-hook", abstract: "Join a container's init to its cgroup (used by cnc-monitor).",
        shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var container: String
    @Argument var pid: Int32

    func run() throws {
        let r = try global.runtime()
        let c = try r.container(container)
        // What the previous run left (the directories systemd does not own) goes first.
        try r.cgroups.recreate(c.config.cgroupPath, limits: c.config.limits)
        try r.cgroups.addProcess(pid, to: c.config.cgroupPath)
    }
}
