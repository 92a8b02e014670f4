import CNCAppCLI
import ArgumentParser
import CNCNetwork
import CNCCore
import CNCRuntime

/// `cnc network prune`: removes networks no container uses (and sweeps leftovers first).
struct NetworkPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all unused networks.",
        discussion: "EXAMPLES\n  cnc network prune\n  cnc network prune -f")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Do not prompt for confirmation.") var force = false

    func run() throws {
        if !force && !Prompt.confirm("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?") { return }
        let removed = try Self.prune(global)
        if !removed.isEmpty { print("Deleted Networks:\n" + removed.map { $0 + "\n" }.joined()) }
    }

    /// Removes the networks no container uses, running or not (a stopped container keeps the
    /// networks it was created on, as in docker); the default network stays.
    static func prune(_ global: GlobalOptions) throws -> [String] {
        let manager = global.networkManager()
        return try manager.prune(alsoUsed: networksNamed(by: try global.runtime().list().map(\.config)))
    }

    /// The networks these containers were created on (`bridge` is the default network).
    static func networksNamed(by configs: [ContainerConfig]) -> Set<String> {
        Set(configs.flatMap { c -> [String] in
            var names = (c.additionalNetworks ?? []).map(\.name)
            if case .bridge(let n) = c.network { names.append(n == "bridge" ? NetworkManager.defaultNetworkName : n) }
            return names
        })
    }
}
