import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork
import CNCNftables
import CNCRuntime
import CNCSystem

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

/// Hidden: the monitor runs this when the container exits for good, so its address, DNS
/// record and published ports are released at once (docker frees the endpoint when the
/// container stops), not at the next stop, rm or attach. Only the attachment of `pid`'s
/// namespace goes.
struct ContainerNetworkDetachHook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network-detach-hook", abstract: "Release an exited container's network attachment (used by cnc-monitor).",
        shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var container: String
    @Argument var pid: Int32

    func run() throws {
        if Rootless.isActive {
            // Rootless: the container's pasta goes (it holds the published ports), and its
            // attachments in the rootless network namespace.
            let r = try global.runtime()
            try r.network?.detach(container: try r.container(container).config)
            return
        }
        try NetworkManager.inProcess(root: global.stateRoot).detach(container: try ContainerID(container), netnsPath: "/proc/\(pid)/ns/net")
    }
}
