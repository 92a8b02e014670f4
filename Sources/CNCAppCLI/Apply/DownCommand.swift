import ArgumentParser
import CNCCore
import CNCEngine
import CNCSystem
import Foundation

/// `cncapply down [--volumes]`: remove the app's containers and networks (volumes when asked).
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Remove the app's containers and networks (and volumes with --volumes).",
        discussion: "EXAMPLES\n  cncapply down\n  cncapply -f app.yaml down --volumes\n  cncapply down -p shop -t 0")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @Flag(name: .shortAndLong, help: "Also remove the app's named volumes (their data is lost).") var volumes = false
    @Option(name: [.customShort("t"), .customLong("timeout")], help: "Seconds to wait for each container to stop before killing it.")
    var timeout: Int?

    func run() async throws {
        let target = try AppTarget.find(spec)
        let lock = try RootLock(root: global.stateRoot)
        defer { lock.close() }
        let ctx = try AppContext.open(global, locked: true)
        let grace = timeout.map { CNCDuration.seconds(Int64($0)) }
        if try await !Self.remove(target.project, ctx: ctx, grace: grace, volumes: volumes, say: { print($0) }) {
            // Nothing of the app was there (never applied, or down already): Compose's warning.
            writeStderr("Warning: No resource found to remove for project \"\(target.project)\".\n")
        }
    }

    /// Removes the app's containers, networks (and volumes) and records a `down`; false when
    /// nothing of it was there (then no `down` is recorded: an unknown name must not turn into
    /// an app that is "down"). The caller holds the root lock. `cncapply sync --prune` too.
    static func remove(_ project: String, ctx: AppContext, grace: CNCDuration?, volumes: Bool,
                       say: @escaping @Sendable (String) -> Void) async throws -> Bool {
        try await ctx.backend.sweepIncomplete()
        let containers = try await ctx.backend.listContainers(project: project)
        let backend = ctx.backend, state = ctx.state
        // The containers' network releases wait for the kernel once, at the end.
        let (networks, doomedVolumes) = try await backend.batchingReleases {
            // Every container stops first (each leaves its networks as it stops); then the
            // networks go while the stopped containers are removed: a bridge's deletion waits
            // out the kernel's RCU barriers, which no longer come after the removals.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in containers {
                    group.addTask {
                        // Why it waits out the grace period, once (as apply's stop and `cnc stop` say it).
                        try await backend.stop(id: c.id, timeout: grace) { why in say("\(c.name): \(why)") }
                    }
                }
                try await group.waitForAll()
            }
            Trace.mark("down: containers stopped")
            return try await withThrowingTaskGroup(of: [String].self) { group in
                // First, so it has a blocking slot before the removals queue for theirs.
                group.addTask {
                    let networks = try await backend.listNetworks(project: project)
                    for n in networks { try await backend.removeNetwork(project: project, name: n.name) }
                    Trace.mark("down: networks removed")
                    return networks.map(\.name)
                }
                for c in containers {
                    group.addTask {
                        try await backend.remove(id: c.id)
                        try await state.removeContainer(id: c.id)
                        say("\(c.name): removed")
                        return []
                    }
                }
                var removedNetworks: [String] = []
                for try await names in group { removedNetworks += names }
                Trace.mark("down: containers removed")
                // Said after the containers, as before (and as Compose orders them).
                for n in removedNetworks { say("network \(n): removed") }
                let doomedVolumes = volumes ? try await backend.listVolumes(project: project) : []
                for v in doomedVolumes {
                    try await backend.removeVolume(project: project, name: v.name)
                    say("volume \(v.name): removed")
                }
                return (removedNetworks, doomedVolumes)
            }
        }
        if containers.isEmpty && networks.isEmpty && doomedVolumes.isEmpty { return false }
        try await state.addEvent(project: project, kind: "down", message: "removed \(containers.count) containers",
                                 time: Int64(Date().timeIntervalSince1970))
        return true
    }
}
