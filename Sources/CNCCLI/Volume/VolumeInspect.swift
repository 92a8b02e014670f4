import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime

/// `cnc volume inspect`: docker's JSON (CreatedAt, Driver, Labels, Mountpoint, Name, Options,
/// Scope), or `--format`.
struct VolumeInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more volumes.",
        discussion: "EXAMPLES\n  cnc volume inspect data\n  cnc volume inspect --format '{{.Mountpoint}}' data")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("f"), .long], help: "Format the output using the given Go template.") var format: String?
    @Argument(help: "Volume names.", completion: .volumeNames) var volumes: [String]

    func run() throws {
        try dockerErrors {
            let store = try global.runtime().volumes
            try InspectOutput.emit(volumes, format: format) { name in
                do { return VolumeText.document(try store.volume(name), store: store) } catch let e as CNCError where e.code == .notFound {
                    throw CNCError(.notFound, "get \(name): no such volume")
                }
            }
        }
    }
}
