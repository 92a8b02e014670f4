import ArgumentParser
import CNCCore
import CNCEngine
import CNCImage
import CNCPlanner
import CNCSpec
import CNCSystem
import Foundation

/// `cncapply [apply] -f app.yaml`: converge this host to the spec.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Converge to the spec: pull images, plan, apply, record a revision (the default command).",
        discussion: "EXAMPLES\n  cncapply -f app.yaml\n  cncapply -f app.yaml --dry-run\n  cncapply -f app.yaml -f prod.yaml --wait --timeout 2m\n  cncapply apply -f app.yaml --plan plan.json\n  cncapply -f app.yaml --watch")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @OptionGroup var registry: PullFlags
    @OptionGroup var apply: ApplyFlags

    @Flag(help: "After applying, watch the spec, env and bind-mounted config files and re-apply on change.")
    var watch = false

    @Option(name: .customLong("plan"), help: ArgumentHelp("Run exactly this saved plan (from cncapply diff --plan-out); refuse if the app changed since.", valueName: "file"))
    var planFile: String?

    func validate() throws {
        if watch && planFile != nil { throw ValidationError("--watch and --plan cannot be combined") }
        if apply.pruneVolumes && !apply.prune { throw ValidationError("--prune-volumes needs --prune") }
    }

    func run() async throws {
        let saved: Plan? = try planFile.map(Self.readPlan)
        var run = ApplyRun(global: global, spec: spec, registry: registry, flags: apply)
        if let args = ApplyFastPath.plainArguments, !watch, saved == nil {
            if try NoopRecord.replay(root: global.stateRoot, args: args) { return }
            run.noopRecordArguments = args
        }
        if watch {
            try await run.watchLoop(firstApply: { try await run.once() })
            return
        }
        let status = try await run.once(savedPlan: saved).status
        if status != 0 { throw ExitCode(status) }
    }

    /// A plan saved by `cncapply diff --plan-out`, of this cncapply's plan format.
    static func readPlan(_ path: String) throws -> Plan {
        struct Versioned: Decodable { var version: Int }
        do {
            let data = Data(try FileSystem.readBytes(path))
            let version = try JSONDecoder().decode(Versioned.self, from: data).version
            guard version == Plan.formatVersion else {
                throw CNCError(.invalidArgument, "\(path) is a plan of format \(version); this cncapply reads format \(Plan.formatVersion) (run cncapply diff --plan-out again)")
            }
            return try JSONDecoder().decode(Plan.self, from: data)
        } catch let e as CNCError {
            throw e
        } catch {
            throw CNCError(.invalidArgument, "\(path) is not a saved plan: \(error)")
        }
    }
}

/// Flags shared by apply (and rollback).
struct ApplyFlags: ParsableArguments {
    @Flag(help: "Print the plan and change nothing.") var dryRun = false
    @Flag(help: "Remove containers of services no longer in the spec.") var prune = false
    @Flag(help: "With --prune, also remove volumes no longer in the spec (their data is lost).") var pruneVolumes = false
    @Flag(help: "Recreate every container, changed or not.") var forceRecreate = false
    @Flag(help: "Create containers but do not start them.") var noStart = false
    @Flag(help: "Return only when every service is running (and healthy, where it has a health check).") var wait = false
    @Option(help: ArgumentHelp("With --wait: how long to wait (default 60s).", valueName: "duration")) var timeout: String?
    @Flag(name: .customLong("no-wait"), help: "Fail at once when another apply holds the state root, instead of waiting.") var noWaitLock = false
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text, or json (the plan and result as versioned JSON).")
    var output: ReportFormat = .text

    var planOptions: PlanOptions {
        PlanOptions(prune: prune, pruneVolumes: pruneVolumes, forceRecreate: forceRecreate, noStart: noStart)
    }
}
