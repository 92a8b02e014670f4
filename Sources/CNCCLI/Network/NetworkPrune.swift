import CNCAppCLI
import ArgumentParser
import CNCNetwork
import CNCCore
import CNCRuntime

/// `cnc network prune`: removes networks no container uses (and sweeps leftovers first).
struct NetworkPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all unused networks.",
        discussion: "EXAMPLES\n  cnc network prune\n  cnc network prune -f\n  cnc network prune -f --filter until=24h --filter label=env=dev")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Do not prompt for confirmation.") var force = false
    @Option(name: .long, help: "Provide filter values (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE]).", completion: .list(["until=", "label=", "label!="])) var filter: [String] = []

    func run() throws {
        if !force && !Prompt.confirm("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?") { return }
        let only = try PruneFilter(filter)
        let removed = try Self.prune(global, only)
        if !removed.isEmpty { print("Deleted Networks:\n" + removed.map { $0 + "\n" }.joined()) }
    }

    /// Removes the networks no container uses, running or not (a stopped container keeps the
    /// networks it was created on, as in docker); the default network stays.
    static func prune(_ global: GlobalOptions, _ only: PruneFilter? = nil) throws -> [String] {
        let manager = global.networkManager()
        return try manager.prune(alsoUsed: networksNamed(by: try global.runtime().list().map(\.config)), matching: { n in
            only?.matches(created: n.created * 1_000_000_000, labels: n.labels) ?? true
        })
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
