import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem

/// `cnc volume rm`: refuses a volume a container uses (running or not) with docker's words;
/// `-f` makes a missing volume no error (a used one still is).
struct VolumeRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more volumes.",
        discussion: "EXAMPLES\n  cnc volume rm data\n  cnc volume remove -f data cache", aliases: ["remove"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("f"), .long], help: "Force the removal of one or more volumes.") var force = false
    @Argument(help: "Volume names.", completion: .volumeNames) var volumes: [String]

    func run() throws {
        let r = try global.runtime()
        let users = VolumeStore.users(r.list())
        var failed = false
        for name in volumes {
            do {
                if let ids = users[name] {
                    throw CNCError(.conflict, "remove \(name): volume is in use - [\(ids.map(\.rawValue).joined(separator: ", "))]")
                }
                try r.volumes.remove(name)
                print(name)
            } catch let e as CNCError {
                if force && e.code == .notFound { continue }
                writeStderr("Error: \(e.description)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
