import ArgumentParser
import CNCAppCLI
import CNCCore
import CNCEngine
import CNCNetwork
import CNCNftables

extension CNCCommand {
    /// cnc network commands (network create/ls/inspect/rm/prune/connect/disconnect).
    static let networkCommands: [any ParsableCommand.Type] = [NetworkGroup.self]
}

/// `cnc network ...`: docker's `docker network`.
struct NetworkGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Manage networks.",
        discussion: "EXAMPLES\n  cnc network create app\n  cnc network ls\n  cnc network connect app web",
        subcommands: [
            NetworkCreate.self, NetworkList.self, NetworkInspect.self, NetworkRemove.self, NetworkPrune.self,
            NetworkConnect.self, NetworkDisconnect.self,
        ])
}

extension GlobalOptions {
    /// The network manager of this state root.
    func networkManager() -> NetworkManager { .inProcess(root: stateRoot) }
}
