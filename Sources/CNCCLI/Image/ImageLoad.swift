import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage
import CNCOCI
import CNCSystem

/// `cnc load`.
struct ImageLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load images from a tar archive (docker-archive or oci-archive, gzip or not) or STDIN.",
        discussion: "EXAMPLES\n  cnc load < busybox.tar\n  cnc load -i images.tar\n  cnc load -q -i busybox.tar.gz")

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: "Read from a tar archive file, instead of STDIN.")
    var input: String?

    @Flag(name: [.short, .long], help: "Suppress the load output.")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Platform to load from a multi-platform archive.", valueName: "os/arch[/variant]"))
    var platform: String?

    func run() throws {
        let store = try global.imageStore()
        let plat = try platform.map { try Platform(parsing: $0) } ?? Platform.host(machine: Host.uname().machine)
        let source: FileStream
        if let input { source = try FileStream.openForReading(input) } else {
            source = .standardInput()
            if source.isTerminal {
                throw CNCError(.invalidArgument, "requested load from stdin, but stdin is empty")
            }
        }
        let loaded = try store.load(from: source, platform: plat)
        for l in loaded { global.recordImageEvent("load", id: l.image.id.description, name: l.image.id.description) }
        if quiet { return }
        // Docker's report: the tags the archive carried, one line each; an image it left
        // untagged by its ID.
        for l in loaded {
            if l.names.isEmpty { print("Loaded image ID: \(l.image.id)") }
            for n in l.names { print("Loaded image: \(n.familiar)") }
        }
    }
}
