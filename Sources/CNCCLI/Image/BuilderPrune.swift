import ArgumentParser
import CNCAppCLI
import CNCBuilder
import CNCCore

/// `cnc builder ...`: docker's `docker builder` (prune).
struct BuilderGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder", abstract: "Manage builds.",
        discussion: "EXAMPLES\n  cnc builder prune\n  cnc builder prune -a -f",
        subcommands: [BuilderPrune.self])
}

/// `cnc builder prune [-a] [-f]`: the build cache entries no image uses (all but those of
/// tagged images with -a), and their blobs; never a blob a tagged image uses.
struct BuilderPrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove build cache.",
        discussion: "EXAMPLES\n  cnc builder prune\n  cnc builder prune -a -f")

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.short, .long], help: "Remove all unused build cache, not just dangling ones.")
    var all = false

    @Flag(name: [.short, .long], help: "Do not prompt for confirmation (cnc never prompts).")
    var force = false

    func run() throws {
        let store = try global.imageStore()
        let r = try BuildCache(stateRoot: store.paths.stateRoot).prune(store: store, all: all)
        print("Total reclaimed space: \(Units.humanSize(r.bytes))")
    }
}
