import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSpec
import CNCSystem

/// Compose's `develop.watch` inside the watch loop: the rules of the current spec, the initial
/// sync, and each batch's rebuild, sync, restart and exec.
extension ApplyRun {
    func developWatch() throws -> DevelopWatch { DevelopWatch(app: try spec.load().app, only: watchOptions.services) }

    /// Compose's line prefix-free log, unbuffered like the rest of watch's output.
    static func developLog(_ line: String) { TerminalInfo.writeStdout(line + "\n") }

    /// After the first apply: `initial_sync` rules copy their files (quietly, as Compose does),
    /// then "Watch enabled".
    func startDevelop(_ develop: DevelopWatch, project: String) async throws {
        for w in develop.warnings { TerminalInfo.writeStderr(w + "\n") }
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
            let previous = watchOptions.prune ? currentImages(plan.rebuild) : [:]
            do {
                let o = try await once(rebuild: plan.rebuild)
                outcome = o
                if o.status == 0 { Self.developLog("service(s) \(names) successfully built") }
                if o.status == 0, !previous.isEmpty { await pruneReplaced(previous) }
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

    /// The image ID each service's built image name points to now (before a rebuild).
    func currentImages(_ services: Set<String>) -> [String: String] {
        guard let app = try? spec.load().app, let store = try? global.imageStore() else { return [:] }
        var out: [String: String] = [:]
        for s in services {
            if let ref = app.builtImageName(service: s), let image = try? store.resolve(ref.description) { out[s] = image.id.description }
        }
        return out
    }

    /// `--prune` (Compose's default): a rebuilt service's previous image goes once it is
    /// dangling (no tag left) and nothing holds it: no container, and no kept revision (which
    /// a rollback needs: those stay). Quiet, as Compose's; a failure only leaves the image.
    func pruneReplaced(_ previous: [String: String]) async {
        guard let lock = try? RootLock(root: global.stateRoot, wait: true) else { return }
        defer { lock.close() }
        guard let store = try? await global.imageStoreForRemoval() else { return }
        for (_, id) in previous.sorted(by: { $0.key < $1.key }) {
            guard let image = try? store.resolve(id), image.names.isEmpty else { continue }
            _ = try? store.remove(id, force: false)
        }
    }
}
