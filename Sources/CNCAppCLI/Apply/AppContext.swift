import ArgumentParser
import CNCCgroups
import CNCCore
import CNCEngine
import CNCImage
import CNCPlanner
import CNCRuntime
import CNCSpec
import CNCState
import CNCSystem
import Foundation

/// Everything a cncapply command works with: the compiled spec (when there is one), the
/// engine over the real runtime, the image store and the state DB of one root.
struct AppContext {
    let config: EngineConfig
    let engine: AppEngine
    let backend: RuntimeBackend
    let runtime: Runtime
    let images: ImageStore
    let state: StateDB

    /// `locked`: the caller holds the root's exclusive lock (apply, rollback, down).
    /// `spec`: the app's spec, whose `x-cnc.cgroup_driver` picks the driver unless
    /// `--cgroup-manager` or CNC_CGROUP_MANAGER does.
    /// `listing`: the runtime's containers already listed for this cycle (`cncapply sync`).
    static func open(_ global: GlobalOptions, locked: Bool = false, spec: AppSpec? = nil, listing: ContainerListing? = nil,
                     progress: @escaping @Sendable (ProgressEvent) -> Void = { _ in }) throws -> AppContext {
        var config = global.engineConfig(label: "cncapply")
        config.specCgroupDriver = spec.flatMap { CgroupDriverRequest(rawValue: $0.cnc.cgroupDriver.rawValue) }
        try FileSystem.createDirectory(config.stateRoot, mode: 0o711)
        let state = try StateDB(path: config.stateRoot + "/state.db")
        let runtime = try ContainerEngine.runtime(config)
        let images = try ImageStore(stateRoot: config.stateRoot)
        let backend = RuntimeBackend(config: config, runtime: runtime, images: images, holdsRootLock: locked, listing: listing)
        let engine = AppEngine(config: config, backend: backend, state: state, progress: progress)
        return AppContext(config: config, engine: engine, backend: backend, runtime: runtime, images: images, state: state)
    }

    /// `app` (read back from a revision) with the secret values `current` holds: each redacted
    /// variable of a service that the current spec still seals under the same key, and the
    /// decrypted secret files. What `current` lacks stays redacted (and is refused at create).
    static func unsealed(_ app: AppSpec, by current: AppSpec?) -> AppSpec {
        guard let current else { return app }
        var out = app
        out.sealedFiles = current.sealedFiles
        for (name, var s) in out.services {
            guard let now = current.services[name] else { continue }
            for (k, v) in s.environment {
                guard let v, SecretRedaction.isRedaction(v), let clear = now.sealedEnvironment[k] else { continue }
                s.sealedEnvironment[k] = clear
                s.environment[k] = now.environment[k] ?? nil
            }
            out.services[name] = s
        }
        return out
    }

    /// The normalized spec text stored with a revision; it compiles back to the same app.
    static func specText(_ app: AppSpec) throws -> String { YAMLWriter(escapeDollars: true).string(try app.jsonValue()) }

    /// Compiles a stored revision back into a desired app (its services carry their specs).
    /// A revision keeps only redactions of secret values: `current` (the spec as loaded now,
    /// decrypted) gives them back — the current values, as cnc keeps no old ones.
    /// When `current` writes out as the revision's text (the same spec: `cncapply sync` at the
    /// commit it applied), it is used as is and the text is not parsed again.
    func recompile(_ revision: RevisionRecord, current: LoadedSpec? = nil) throws -> DesiredApp {
        let spec: AppSpec
        if let current, (try? Self.specText(current.app)) == revision.spec {
            spec = current.app
        } else {
            do {
                spec = Self.unsealed(try SpecLoader.load(SpecLoadOptions(
                    files: ["-"], stdin: Array(revision.spec.utf8), projectName: revision.project, environment: [:],
                    workingDirectory: FileManager.default.currentDirectoryPath, rootless: Rootless.isActive)).app, by: current?.app)
            } catch {
                throw CNCError(.integrity, "revision \(revision.number) of \(revision.project) no longer compiles", cause: "\(error)")
            }
        }
        var digests: [String: Digest] = [:]
        for (ref, d) in revision.images { digests[ref] = try Digest(d) }
        var app = try DesiredAppBuilder.build(spec, imageDigests: digests)
        // A revision's built images are re-pointed to, never rebuilt: no "rebuilt" cause.
        for i in app.services.indices { app.services[i].built = nil }
        return app
    }
}

/// How a cncapply command finds its app: -f files, else -p NAME, else app.yaml/compose.yaml/
/// compose.yml in the current directory.
struct AppTarget {
    var project: String
    /// The compiled spec, when the app was found through spec files.
    var loaded: LoadedSpec?

    static func find(_ spec: SpecOptions) throws -> AppTarget {
        if spec.file.isEmpty, let name = spec.projectName {
            return AppTarget(project: name, loaded: nil)
        }
        let loaded = try spec.loadReporting()
        return AppTarget(project: loaded.app.name, loaded: loaded)
    }
}
