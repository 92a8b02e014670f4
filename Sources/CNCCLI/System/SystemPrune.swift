import CNCAppCLI
import ArgumentParser
import CNCBuilder
import CNCCore
import CNCRuntime
import CNCSystem

/// `cnc system prune`: stopped containers, unused networks, dangling images (all unused with
/// `-a`), anonymous unused volumes with `--volumes`, the build cache (`cnc builder prune [-a]`);
/// asks first unless `-f`, as docker does.
struct SystemPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused data.",
        discussion: "EXAMPLES\n  cnc system prune\n  cnc system prune -a --volumes -f")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Remove all unused images not just dangling ones.") var all = false
    @Flag(name: [.customShort("f"), .long], help: "Do not prompt for confirmation.") var force = false
    @Flag(name: .long, help: "Prune anonymous volumes.") var volumes = false

    /// Docker's confirmation text for these options.
    static func warning(all: Bool, volumes: Bool) -> String {
        var items = ["all stopped containers", "all networks not used by at least one container"]
        if volumes { items.append("all anonymous volumes not used by at least one container") }
        items.append(all ? "all images without at least one container associated to them" : "all dangling images")
        items.append(all ? "all build cache" : "unused build cache")
        return "WARNING! This will remove:\n" + items.map { "  - \($0)\n" }.joined() + "\nAre you sure you want to continue?"
    }

    func run() async throws {
        if !force && !Prompt.confirm(Self.warning(all: all, volumes: volumes)) { return }
        let r = try global.runtime()
        var reclaimed: Int64 = 0
        var failed = false
        let stopped = r.list().filter { !$0.state.isActive }
        let sizes = Dictionary(stopped.map { ($0.config.id.rawValue, FileSystem.diskUsage($0.directory + "/upper")) }, uniquingKeysWith: { a, _ in a })
        var removed: [String] = []
        for (ref, error) in r.removeMany(stopped.map(\.config.id.rawValue)) {
            if let error { writeStderr("Error: \(error)\n"); failed = true } else { removed.append(ref); reclaimed += sizes[ref] ?? 0 }
        }
        if !removed.isEmpty { print("Deleted Containers:\n" + removed.map { $0 + "\n" }.joined()) }
        let networks = try NetworkPrune.prune(global)
        if !networks.isEmpty { print("Deleted Networks:\n" + networks.map { $0 + "\n" }.joined()) }
        if volumes {
            let (names, bytes) = try VolumePrune.prune(r, all: false, filters: [])
            if !names.isEmpty { print("Deleted Volumes:\n" + names.map { $0 + "\n" }.joined()) }
            reclaimed += bytes
        }
        let images = try await global.imageStoreForRemoval().prune(all: all)
        if !images.untagged.isEmpty || !images.deletedImages.isEmpty {
            print("Deleted Images:\n" + images.untagged.map { "untagged: \($0)\n" }.joined() + images.deletedImages.map { "deleted: \($0)\n" }.joined())
        }
        reclaimed += images.bytesReclaimed
        // Docker's system prune takes the build cache too: unused entries (all with -a) and
        // the contexts' stat caches.
        let store = try global.imageStore()
        reclaimed += try BuildCache(stateRoot: store.paths.stateRoot).prune(store: store, all: all).bytes
        print("Total reclaimed space: \(Units.humanSize(reclaimed))")
        if failed { throw ExitCode(1) }
    }
}
