import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage

/// `cnc image prune`.
struct ImagePrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove unused images (dangling ones; all unused with -a), their blobs and unpacked layers.",
        discussion: "EXAMPLES\n  cnc image prune\n  cnc image prune -a -f\n  cnc image prune -a -f --filter until=24h --filter label!=keep")

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.short, .long], help: "Remove all images not used by a container, not just dangling ones.")
    var all = false

    @Flag(name: [.short, .long], help: "Do not prompt for confirmation (cnc never prompts).")
    var force = false

    @Option(name: .long, help: "Provide filter values (until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE], dangling=true|false).",
            completion: .list(["until=", "label=", "label!=", "dangling="]))
    var filter: [String] = []

    func run() async throws {
        let only = try PruneFilter(filter, keys: ["until", "label", "label!", "dangling"])
        let everything = only.dangling.map { !$0 } ?? all
        let r = try await global.imageStoreForRemoval().prune(all: everything, matching: only.isEmpty ? nil : { img in
            only.matches(created: img.config.created.flatMap(PruneFilter.nanos), labels: img.config.config?.labels ?? [:])
        })
        if !r.untagged.isEmpty || !r.deletedImages.isEmpty {
            print("Deleted Images:")
            for u in r.untagged { print("untagged: \(u)") }
            for d in r.deletedImages { print("deleted: \(d)") }
            print("")
        }
        print("Total reclaimed space: \(Units.humanSize(r.bytesReclaimed))")
    }
}
