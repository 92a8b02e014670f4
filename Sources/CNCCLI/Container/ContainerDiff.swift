import ArgumentParser
import CNCAppCLI
import CNCRuntime

/// `cnc diff`: what the container changed in its filesystem, as `docker diff` lists it.
struct ContainerDiff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Inspect changes to files or directories on a container's filesystem.",
        discussion: "EXAMPLES\n  cnc diff web")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container.", completion: .containerNames) var container: String

    func run() throws {
        let changes = try reportingErrors {
            let r = try global.runtime()
            return try r.changes(try r.container(container))
        }
        for c in changes { print(c.description) }
    }
}
