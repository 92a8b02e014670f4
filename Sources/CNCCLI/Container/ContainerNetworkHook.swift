import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime

/// Hidden: the monitor runs this to attach a restarted container's new network namespace
/// (the first start attaches in-process, before init is released).
struct ContainerNetworkHook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network-attach-hook", abstract: "Attach a container's network namespace (used by cnc-monitor).",
        shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var container: String
    @Argument var pid: Int32

    func run() throws {
        let r = try global.runtime()
        let c = try r.container(container)
        guard let network = r.network else { throw CNCError(.unsupported, "no network driver is configured") }
        try network.attach(container: c.config, pid: pid)
    }
}
