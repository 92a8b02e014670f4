import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage
import CNCOCI
import CNCRegistry
import CNCSystem

/// `cnc pull NAME[:TAG|@DIGEST]`.
struct ImagePull: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: RegistryHelp.pullAbstract, discussion: RegistryHelp.pullExamples)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var registry: RegistryFlags

    @Argument(help: ArgumentHelp("Image to pull.", valueName: "NAME[:TAG|@DIGEST]"))
    var reference: String

    @Option(name: .long, help: ArgumentHelp("Platform to pick from a multi-platform image (default: this host).", valueName: "os/arch[/variant]"))
    var platform: String?

    @Flag(name: [.short, .long], help: "Suppress verbose output.")
    var quiet = false

    @Flag(name: .customLong("unpack"), inversion: .prefixedNo,
          help: "Unpack layers while downloading (cnc-specific; --no-unpack defers it to the first container start).")
    var unpack = true

    func validate() throws {
        _ = try ImageReference(parsing: reference)
        if let platform { _ = try Platform(parsing: platform) }
    }

    func run() throws {
        let ref = try ImageReference(parsing: reference)
        let plat = try platform.map { try Platform(parsing: $0) } ?? Platform.host(machine: Host.uname().machine)
        let store = try global.imageStore()
        let client = try registry.client(ref.domain, global)
        let quiet = self.quiet
        let image = try ImagePuller.pull(ref, store: store, client: client, platform: plat, unpack: unpack) { if !quiet { print($0) } }
        global.recordRegistryEvent("pull", ref)
        if quiet {
            print(ref.familiar)
        } else {
            print("Status: Downloaded image for \(ref.familiar) (\(image.id.short))")
            print(ref.description)
        }
    }
}
