import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage
import CNCRegistry

/// `cnc push NAME[:TAG]`.
struct ImagePush: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: RegistryHelp.pushAbstract, discussion: RegistryHelp.pushExamples)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var registry: RegistryFlags

    @Argument(help: ArgumentHelp("Local image name, also the destination.", valueName: "NAME[:TAG]"))
    var reference: String

    @Flag(name: [.short, .long], help: "Suppress verbose output.")
    var quiet = false

    func validate() throws { _ = try ImageReference(parsing: reference) }

    func run() throws {
        let ref = try ImageReference(parsing: reference)
        let store = try global.imageStore()
        _ = try store.resolve(reference)
        let client = try registry.client(ref.domain, global)
        let quiet = self.quiet
        let digest = try ImagePusher.push(reference, to: ref, store: store, client: client) { if !quiet { print($0) } }
        global.recordRegistryEvent("push", ref)
        if quiet { print(digest) }
    }
}
