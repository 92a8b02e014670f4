import CNCCore
import CNCEngine
import CNCRuntime
import CNCSpec
import CNCSystem

/// Does what a `develop.watch` batch asks, in Compose's order and with its log lines: sync
/// (`Syncing service "web" after 2 changes were detected`), restart (`service(s) ["web"]
/// restarted`), exec hooks. Rebuilds go through the apply (`ApplyRun.once(rebuild:)`).
struct DevelopActions {
    let global: GlobalOptions
    let project: String
    let log: (String) -> Void

    /// Sync, restart and exec for one batch; failures are reported and do not stop the others.
    func run(_ batch: DevelopWatch.Batch, services: [String: ServiceSpec]) async throws {
        let lock = try RootLock(root: global.stateRoot, wait: true)
        defer { lock.close() }
        let ctx = try AppContext.open(global, locked: true)
        let containers = try await ctx.backend.listContainers(project: project)
        func running(_ service: String) -> [RuntimeContainer] {
            containers.filter { $0.labels[AppLabels.service] == service && $0.observation.status == .running }.sorted { $0.name < $1.name }
        }
        for (service, mappings) in batch.sync.sorted(by: { $0.key < $1.key }) {
            log("Syncing service \"\(service)\" after \(mappings.count) changes were detected")
            for c in running(service) { sync(mappings, into: c, ctx.runtime) }
        }
        if !batch.restart.isEmpty {
            let names = batch.restart.sorted()
            for service in names {
                let grace = services[service]?.stopGracePeriod
                for c in running(service) {
                    do {
                        try await ctx.backend.stop(id: c.id, timeout: grace)
                        try await ctx.backend.start(id: c.id)
                        if let config = try? ctx.runtime.container(c.id).config { ctx.runtime.record("restart", config) }
                    } catch {
                        TerminalInfo.writeStderr(ErrorText.line("failed to restart \(c.name): \(error)"))
                    }
                }
            }
            log("service(s) [\(names.map { "\"\($0)\"" }.joined(separator: " "))] restarted")
        }
        for (service, hooks) in batch.exec.sorted(by: { $0.key < $1.key }) {
            for hook in hooks {
                for c in running(service) { exec(hook, in: c, ctx.runtime) }
            }
        }
    }

    /// Copies (or deletes) each mapping in one container; a failure names the file.
    func sync(_ mappings: [DevelopWatch.Mapping], into c: RuntimeContainer, _ runtime: Runtime) {
        guard let container = try? runtime.container(c.id) else { return }
        for m in mappings {
            do { try runtime.sync(fromHost: m.host, to: container, path: m.container) } catch {
                TerminalInfo.writeStderr(ErrorText.line("failed to sync \(m.host) to \(c.name):\(m.container): \(error)"))
            }
        }
    }

    /// A sync+exec hook, as `cnc exec` runs it (its output is ours).
    func exec(_ hook: WatchExec, in c: RuntimeContainer, _ runtime: Runtime) {
        var req = ExecRequest(argv: hook.command)
        req.user = hook.user
        req.workdir = hook.workingDir
        req.privileged = hook.privileged ?? false
        req.env = hook.environment.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }
        do {
            let status = try runtime.exec(c.id, req)
            if status != 0 { TerminalInfo.writeStderr(ErrorText.line("exec in \(c.name) failed: exit code \(status)")) }
        } catch {
            TerminalInfo.writeStderr(ErrorText.line("exec in \(c.name) failed: \(error)"))
        }
    }
}
