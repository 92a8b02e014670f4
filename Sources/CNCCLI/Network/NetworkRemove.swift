import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork
import CNCSystem

/// `cnc network rm`.
struct NetworkRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more networks.",
        discussion: "EXAMPLES\n  cnc network rm app\n  cnc network remove app backend", aliases: ["remove"])
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Networks (names or ID prefixes).", completion: .networkNames) var networks: [String]

    func run() throws {
        let manager = global.networkManager()
        try manager.sweep()
        var failed = false
        for ref in networks {
            do {
                if let p = PredefinedNetworks.pseudo(ref) { throw PredefinedNetworks.removalRefused(p) }
                try manager.remove(ref)
                print(ref)
            } catch let e as CNCError {
                writeStderr("Error: \(e.description)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
