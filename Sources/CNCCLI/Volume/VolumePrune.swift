import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem

/// `cnc volume prune`: removes the volumes no container uses — anonymous ones only, unless
/// `--all` (docker >= 23) — after asking, unless `--force`.
struct VolumePrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove unused local volumes.",
        discussion: "EXAMPLES\n  cnc volume prune\n  cnc volume prune -a -f")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Remove all unused volumes, not just anonymous ones.") var all = false
    @Flag(name: [.customShort("f"), .long], help: "Do not prompt for confirmation.") var force = false
    @Option(name: .long, help: "Provide filter values (e.g. \"label=<label>\").", completion: .list((VolumeText.filterKeys + ["all"]).map { $0 + "=" })) var filter: [String] = []

    func validate() throws {
        if all && filter.contains(where: { $0.hasPrefix("all=") }) {
            throw ValidationError("conflicting options: cannot specify both --all and --filter all=1")
        }
    }

    func run() throws {
        try dockerErrors {
            let everything = all || filter.contains { ["all=1", "all=true"].contains($0.lowercased()) }
            if !force {
                let what = everything ? "all local volumes" : "anonymous local volumes"
                guard Prompt.confirm("WARNING! This will remove \(what) not used by at least one container.\nAre you sure you want to continue?") else { return }
            }
            let (removed, reclaimed) = try Self.prune(try global.runtime(), all: everything, filters: filter)
            if !removed.isEmpty { print("Deleted Volumes:\n" + removed.map { $0 + "\n" }.joined()) }
            print("Total reclaimed space: \(Units.humanSize(reclaimed))")
        }
    }

    /// Removes the unused volumes that match; their names and the bytes they held.
    static func prune(_ r: Runtime, all: Bool, filters: [String]) throws -> ([String], Int64) {
        try VolumeText.checkFilters(filters)
        let users = VolumeStore.users(r.list())
        var removed: [String] = []
        var reclaimed: Int64 = 0
        for v in r.volumes.list() where users[v.name] == nil && (all || v.isAnonymous) {
            guard try VolumeText.matches(v, used: false, filters: filters.filter { !$0.hasPrefix("all=") }) else { continue }
            let size = FileSystem.diskUsage(r.volumes.dataPath(v.name))
            do {
                try r.volumes.remove(v.name)
                removed.append(v.name)
                reclaimed += size
            } catch {
                writeStderr("Error: \(error)\n")
            }
        }
        return (removed, reclaimed)
    }
}
