import CNCAppCLI
import ArgumentParser
import CNCNetwork

/// `cnc network prune`: removes networks no container uses (and sweeps leftovers first).
struct NetworkPrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove all unused networks.",
        discussion: "EXAMPLES\n  cnc network prune\n  cnc network prune -f")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Do not prompt for confirmation.") var force = false

    func run() throws {
        let removed = try global.networkManager().prune()
        if !removed.isEmpty { print("Deleted Networks:\n" + removed.joined(separator: "\n")) }
    }
}
