import ArgumentParser
import CNCCore
import CNCEngine
import CNCPlanner
import CNCSpec
import CNCSystem

/// `cncapply rollback [--to N] [SERVICE...]`.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Go back to an earlier revision: re-point image tags to the digests they had, then apply (as a new revision).",
        discussion: "EXAMPLES\n  cncapply rollback -p shop\n  cncapply rollback -p shop --to 3\n  cncapply rollback -f app.yaml --to 3 web")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @Option(name: .customLong("to"), help: ArgumentHelp("Revision number (default: the one before the newest successful one).", valueName: "N"))
    var revision: Int?
    @Flag(help: "Print the plan and change nothing.") var dryRun = false
    @Argument(help: "Only these services go back; the others keep the current spec.", completion: .serviceNames) var services: [String] = []

    func run() async throws {
        let target = try AppTarget.find(spec)
        let lock = try RootLock(root: global.stateRoot)
        defer { lock.close() }
        let view = ProgressView()
        let ctx = try AppContext.open(global, locked: true, progress: { ApplyRun.show($0, view) })
        var current: DesiredApp?
        if let loaded = target.loaded, !services.isEmpty {
            let digests = ImageResolution.localDigests(for: loaded.app, store: ctx.images)
            current = try DesiredAppBuilder.build(loaded.app, imageDigests: digests)
        }
        let result = try await ctx.engine.rollback(
            project: target.project, to: revision, services: services, current: current, tagger: ctx.images,
            dryRun: dryRun, recompile: { try ctx.recompile($0, current: target.loaded) },
            onPlan: { plan in view.note(plan.isEmpty ? "\(target.project): no changes" : "Plan:\n" + plan.text(steps: true).trimmingSuffixNewline) })
        if let revision = result.revision { view.note("\(target.project): rolled back, recorded as revision \(revision)") }
        if let failure = result.report?.failure {
            view.note("rollback failed: \(failure.description)")
            throw ExitCode(1)
        }
    }
}
