import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork

/// `cnc network connect`: joins a running container to one more network.
struct NetworkConnect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "connect", abstract: "Connect a container to a network.",
        discussion: "EXAMPLES\n  cnc network connect app web\n  cnc network connect --ip 10.89.0.10 --alias api app web")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "IPv4 address on the network.") var ip: String?
    @Option(name: .long, help: "Add a network-scoped alias for the container.") var alias: [String] = []
    @Argument(completion: .networkNames) var network: String
    @Argument(completion: .containerNames) var container: String

    func run() throws {
        let c = try global.runtime().container(container)
        guard c.state.status == .running, c.state.pid > 0 else {
            throw CNCError(.conflict, "container \(container) is not running")
        }
        var ipAddress: IPv4Address?
        if let ip {
            guard let a = IPv4Address(ip) else { throw CNCError(.invalidArgument, "invalid --ip \"\(ip)\"") }
            ipAddress = a
        }
        let request = NetworkAttachmentRequest(network: network, ip: ipAddress, aliases: alias)
        let manager = global.networkManager()
        if manager.attachments(of: c.config.id).isEmpty {
            let dir = c.directory
            _ = try manager.attach(container: c.config.id, netns: .pid(c.state.pid), requests: [request],
                                   options: ContainerNetworkOptions(name: c.config.name, hostname: c.config.hostname,
                                                                    hostsPath: dir + "/hosts", resolvConfPath: dir + "/resolv.conf"))
        } else {
            _ = try manager.connect(container: c.config.id, request: request)
        }
    }
}
