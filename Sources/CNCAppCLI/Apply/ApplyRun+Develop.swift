import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSpec
import CNCSystem

/// Compose's `develop.watch` inside the watch loop: the rules of the current spec, the initial
/// sync, and each batch's rebuild, sync, restart and exec.
extension ApplyRun {
    func developWatch() throws -> DevelopWatch { DevelopWatch(app: try spec.load().app) }

    /// Compose's line prefix-free log, unbuffered like the rest of watch's output.
    static func developLog(_ line: String) { TerminalInfo.writeStdout(line + "\n") }

    /// After the first apply: `initial_sync` rules copy their files (quietly, as Compose does),
    /// then "Watch enabled".
    func startDevelop(_ develop: DevelopWatch, project: String) async throws {
        let initial = develop.initialSync()
        if !initial.isEmpty {
            let services = try spec.load().app.services
            try await DevelopActions(global: global, project: project, log: { _ in })
                .run(DevelopWatch.Batch(sync: initial), services: services)
        }
        Self.developLog("Watch enabled")
    }

    /// One batch's develop actions: a rebuild (through the apply, so the plan says why it
    /// replaces), then sync, restart and exec. Returns the apply's outcome when one ran.
    func runDevelop(_ plan: DevelopWatch.Batch, project: String) async throws -> Outcome? {
        var outcome: Outcome?
        if !plan.rebuild.isEmpty {
            let names = "[" + plan.rebuild.sorted().map { "\"\($0)\"" }.joined(separator: " ") + "]"
            Self.developLog("Rebuilding service(s) \(names) after changes were detected...")
            do {
                let o = try await once(rebuild: plan.rebuild)
                outcome = o
                if o.status == 0 { Self.developLog("service(s) \(names) successfully built") }
                SdNotify.send("STATUS=\(o.statusLine)")
            } catch let e as ExitCode where e.rawValue == 1 {
                Self.developLog("Build failed. Error: the spec has errors (above); the running app is left as it is")
            } catch {
                Self.developLog("Build failed. Error: \(error)")
            }
        }
        var rest = plan
        rest.rebuild = []
        guard !rest.isEmpty else { return outcome }
        do {
            let services = try spec.load().app.services
            try await DevelopActions(global: global, project: project, log: Self.developLog).run(rest, services: services)
        } catch {
            TerminalInfo.writeStderr(ErrorText.line("watch: \(error)"))
        }
        return outcome
    }
}
