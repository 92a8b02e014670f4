import ArgumentParser
import CNCCore
import CNCSpec

/// `cncapply watch [SERVICE...]`: Compose's `docker compose watch` — apply, then follow the
/// services' `develop.watch` rules (sync, rebuild, restart, sync+restart, sync+exec) until
/// Ctrl-C. The same loop as `apply --watch`, which also re-applies on spec and env changes.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch the build context for a service and rebuild/refresh containers when files are updated.",
        discussion: "EXAMPLES\n  cncapply watch -f app.yaml\n  cncapply watch --no-up\n  cncapply watch web --quiet")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @OptionGroup var registry: PullFlags
    @Flag(name: .customLong("no-up"), help: "Do not build & start services before watching (the app must be running).") var noUp = false
    @Flag(help: "hide build output") var quiet = false
    @Flag(inversion: .prefixedNo, help: "Prune dangling images on rebuild (a rebuilt service's previous image, when nothing else holds it).")
    var prune = true
    @Argument(help: ArgumentHelp("Only these services' develop.watch rules (default: every service).", valueName: "SERVICE"))
    var services: [String] = []

    /// Compose's `--prune=false` (pflag's boolean syntax) as ArgumentParser's `--no-prune`.
    static func rewriteBoolSyntax(_ args: [String]) -> [String] {
        args.map { a in
            switch a {
            case "--prune=false", "--prune=0": return "--no-prune"
            case "--prune=true", "--prune=1": return "--prune"
            case "--quiet=true": return "--quiet"
            case "--no-up=true": return "--no-up"
            default: return a
            }
        }
    }

    func run() async throws {
        let app = try spec.loadReporting().app
        // Compose's refusal of a service the project does not have.
        for s in services where app.services[s] == nil { throw CNCError(.notFound, "no such service: \(s)") }
        let selected = services.isEmpty ? nil : Set(services)
        let watched = app.services.filter { selected?.contains($0.key) ?? true }
        guard watched.values.contains(where: { !($0.develop?.watch.isEmpty ?? true) }) else {
            throw CNCError(.invalidArgument, "none of the selected services is configured for watch, consider setting a 'develop' section")
        }
        var run = ApplyRun(global: global, spec: spec, registry: registry, flags: try ApplyFlags.parse([]))
        run.watchOptions = ApplyRun.WatchOptions(services: selected, quiet: quiet, prune: prune)
        try await run.watchLoop(firstApply: {
            if noUp { return ApplyRun.Outcome(status: 0, project: app.name, revision: nil, failure: nil) }
            return try await run.once()
        })
    }
}
