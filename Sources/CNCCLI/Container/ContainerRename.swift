import ArgumentParser
import CNCAppCLI
import CNCCore
import CNCNetwork
import CNCRuntime
import CNCSystem

/// `cnc rename OLD NEW`, with Docker's checks and words.
struct ContainerRename: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rename", abstract: "Rename a container.",
        discussion: "EXAMPLES\n  cnc rename web frontend")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.", completion: .containerNames) var container: String
    @Argument(help: "Its new name.") var newName: String

    func run() throws {
        if container.isEmpty || newName.isEmpty {
            writeStderr("Error: Neither old nor new names may be empty\n")
            throw ExitCode(1)
        }
        do {
            let r = try global.runtime()
            let c = try r.container(container)
            let name = newName.hasPrefix("/") ? String(newName.dropFirst()) : newName
            if name == c.config.name { throw CNCError(.invalidArgument, "Renaming a container with the same name as its current name") }
            try r.rename(c.config.id.rawValue, to: name)
            // Peers resolve it by the new name (and no longer by the old one) at once.
            try global.networkManager().rename(container: c.config.id, from: c.config.name, to: name)
        } catch let e as CNCError {
            writeStderr("Error: \(e.description)\nError: failed to rename container named \(container)\n")
            throw ExitCode(1)
        }
    }
}
