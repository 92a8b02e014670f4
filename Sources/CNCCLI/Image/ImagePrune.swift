import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage

/// `cnc image prune`.
struct ImagePrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove unused images (dangling ones; all unused with -a), their blobs and unpacked layers.",
        discussion: "EXAMPLES\n  cnc image prune\n  cnc image prune -a -f")

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.short, .long], help: "Remove all images not used by a container, not just dangling ones.")
    var all = false

    @Flag(name: [.short, .long], help: "Do not prompt for confirmation (cnc never prompts).")
    var force = false

    func run() async throws {
        let r = try await global.imageStoreForRemoval().prune(all: all)
        if !r.untagged.isEmpty || !r.deletedImages.isEmpty {
            print("Deleted Images:")
            for u in r.untagged { print("untagged: \(u)") }
            for d in r.deletedImages { print("deleted: \(d)") }
            print("")
        }
        print("Total reclaimed space: \(Units.humanSize(r.bytesReclaimed))")
    }
}
