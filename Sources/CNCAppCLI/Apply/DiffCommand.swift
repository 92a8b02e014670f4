import ArgumentParser
import CNCCore
import CNCEngine
import CNCImage
import CNCPlanner
import CNCSystem

/// `cncapply diff`: the plan an apply would run. Exit 0 in sync, 2 changes pending, 1 error
/// (Terraform's `plan -detailed-exitcode`), always: `--exit-code` only says so on the line.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Print the plan; exit 0 when in sync, 2 when changes are pending, 1 on error (for CI).",
        discussion: """
        The exit status is a stable interface for CI: 0 in sync, 2 changes pending, 1 error \
        (a spec error, a port conflict an apply would hit, a root that cannot be read). \
        -o json and --plan-out write the plan in the format specs/plan.schema.json describes.

        EXAMPLES
          cncapply diff -f app.yaml
          cncapply diff -f app.yaml --exit-code
          cncapply diff -f app.yaml --plan-out plan.json -o json
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @Flag(help: "Include containers of services no longer in the spec (as apply --prune would).") var prune = false
    @Option(name: .customLong("plan-out"), help: ArgumentHelp("Save the plan as JSON for `cncapply apply --plan FILE`.", valueName: "file"))
    var planOut: String?
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text or json.")
    var output: ReportFormat = .text
    @Flag(name: .customLong("exit-code"), help: "Exit 0 in sync, 2 changes pending, 1 error (what diff always does; accepted for scripts that say so, as with git diff --exit-code).")
    var exitCode = false

    func run() async throws {
        let loaded = try spec.loadReporting()
        let ctx = try AppContext.open(global)
        // Only images already in the store: diff never pulls. A missing one is a pending change.
        var digests = ImageResolution.localDigests(for: loaded.app, store: ctx.images)
        // A built service whose context changed since its image was built is a pending change
        // too; a build whose steps are all cached plans with the image it would give, as
        // --dry-run does (so a saved plan matches the apply that builds it).
        var probed: [String: (digest: Digest, changes: [String]?)] = [:]
        let rebuilds = ServiceBuilds.pendingRebuilds(app: loaded.app, projectDirectory: loaded.projectDirectory,
                                                     stateRoot: ctx.config.stateRoot, store: ctx.images, runtime: ctx.runtime,
                                                     probed: { probed[$0] = ($1, $2) })
        digests.merge(probed.mapValues(\.digest)) { _, new in new }
        var desired = try DesiredAppBuilder.build(loaded.app, imageDigests: digests)
        for (i, s) in desired.services.enumerated() {
            if let ref = loaded.app.builtImageName(service: s.name) { desired.services[i].buildChanges = probed[ref.description]?.changes }
        }
        let plan = try await ctx.engine.plan(ApplyRequest(desired: desired, spec: "", options: PlanOptions(prune: prune)))
        if let planOut { try FileSystem.writeAtomically(try CanonicalJSON.string(plan, pretty: true), to: planOut) }
        switch output {
        case .json: print(try CanonicalJSON.string(plan, pretty: true), terminator: "")
        case .text:
            for line in rebuilds { print(line) }
            let text = plan.text(steps: true)
            let inSync = plan.isEmpty && rebuilds.isEmpty
            print(inSync ? text + "\(desired.project): in sync" : text, terminator: plan.isEmpty && inSync ? "\n" : "")
        }
        // What an apply would hit before starting anything: an error (exit 1), not a pending change.
        let own = Set(try await ctx.backend.listContainers(project: desired.project).map(\.id))
        let conflicts = try await ctx.engine.portConflicts(in: plan, own: own)
        if !conflicts.isEmpty { throw PortConflicts(conflicts).cncError(loaded.sourceMap) }
        if !plan.isEmpty || !rebuilds.isEmpty { throw ExitCode(2) }
    }
}
