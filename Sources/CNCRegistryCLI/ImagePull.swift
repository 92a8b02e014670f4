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

    /// `run`/`create`'s pull (RegistryPullProcess): docker's run shows the progress and the
    /// status line, not "Using default tag" nor the closing reference.
    @Flag(name: .customLong("progress-only"), help: .hidden)
    var progressOnly = false

    func validate() throws {
        _ = try ImageReference(parsing: reference)
        if let platform { _ = try Platform(parsing: platform) }
    }

    /// Docker's output and status: "Using default tag: latest" for a name without one, the
    /// progress, "Status: Downloaded newer image for X" (or "Image is up to date for X" when the
    /// tag already named that image), the reference; any failure exits 1.
    func run() throws {
        try dockerErrors {
            let ref = try ImageReference(parsing: reference)
            let plat = try platform.map { try Platform(parsing: $0) } ?? Platform.host(machine: Host.uname().machine)
            let store = try global.imageStore()
            let quiet = self.quiet
            let lastName = reference.split(separator: "/").last ?? ""
            if !quiet && !progressOnly && !reference.contains("@") && !lastName.contains(":") { print("Using default tag: latest") }
            let client = try registry.client(ref.domain, global)
            let before = try? store.resolve(ref.description).manifestDigest
            let image = try ImagePuller.pull(ref, store: store, client: client, platform: plat, unpack: unpack) { if !quiet { print($0) } }
            global.recordRegistryEvent("pull", ref)
            if quiet {
                print(ref.familiar)
            } else {
                print(before == image.manifestDigest ? "Status: Image is up to date for \(ref.familiar)" : "Status: Downloaded newer image for \(ref.familiar)")
                if !progressOnly { print(ref.description) }
            }
        }
    }
}
