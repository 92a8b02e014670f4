import CNCAppCLI
import ArgumentParser
import CNCNetwork

/// `cnc network disconnect`.
struct NetworkDisconnect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disconnect", abstract: "Disconnect a container from a network.",
        discussion: "EXAMPLES\n  cnc network disconnect app web\n  cnc network disconnect -f app web")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Force the container to disconnect.") var force = false
    @Argument(completion: .networkNames) var network: String
    @Argument(completion: .containerNames) var container: String

    func run() throws {
        let c = try global.runtime().container(container)
        let manager = global.networkManager()
        try manager.disconnect(container: c.config.id, network: network)
    }
}
