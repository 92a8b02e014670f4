import ArgumentParser
import CNCCore
import CNCSpec

/// `cncapply watch`: Compose's `docker compose watch` — apply, then follow the services'
/// `develop.watch` rules (sync, rebuild, restart, sync+restart, sync+exec) until Ctrl-C. The
/// same loop as `apply --watch`, which also re-applies on spec and env changes.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch the build context for a service and rebuild/refresh containers when files are updated.",
        discussion: "EXAMPLES\n  cncapply watch -f app.yaml\n  cncapply watch --no-up")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @OptionGroup var registry: PullFlags
    @Flag(name: .customLong("no-up"), help: "Do not apply first: only watch (the app must be running).") var noUp = false

    func run() async throws {
        let app = try spec.loadReporting().app
        guard app.services.values.contains(where: { !($0.develop?.watch.isEmpty ?? true) }) else {
            throw CNCError(.invalidArgument, "none of the selected services is configured for watch, consider setting a 'develop' section")
        }
        let run = ApplyRun(global: global, spec: spec, registry: registry, flags: try ApplyFlags.parse([]))
        try await run.watchLoop(firstApply: {
            if noUp { return ApplyRun.Outcome(status: 0, project: app.name, revision: nil, failure: nil) }
            return try await run.once()
        })
    }
}
