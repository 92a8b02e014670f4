import CNCBuild
import CNCBuilder
import CNCCore
import CNCEngine
import CNCImage
import CNCRuntime
import CNCSpec
import CNCSystem
import Foundation

/// cncapply's `build:` step: each service with `build:` is built by the same builder as `cnc
/// build` (same request, same cache, so the same inputs give the same image ID), tagged with the
/// service's image name (`<project>-<service>`, or its `image:`) and `build.tags`. An unchanged
/// context is all cache hits: the same image, so the plan keeps the containers.
struct ServiceBuilds {
    let app: AppSpec
    let projectDirectory: String
    let stateRoot: String
    let store: ImageStore
    let runtime: Runtime
    /// Pulls a base image the store lacks (or every base image, with `build.pull`).
    let pull: (String) throws -> Void
    let note: (String) -> Void
    /// Build progress on stderr (BuildKit's plain lines); false for `-o json`.
    let showProgress: Bool

    /// What a build made: the manifest digest its tags point at.
    struct Result { var digest: Digest; var changes: [String]? }

    /// Builds every service with `build:` (services sharing one image name are built once);
    /// with `only` (`--watch` after a change inside some contexts), the others keep the image
    /// their tag has (built when it has none).
    func buildAll(only: Set<String>? = nil) throws -> [String: Result] {
        // RUN steps forward Ctrl-C to their container and hold it between steps; cncapply
        // outlives its builds (--watch), so it gets its default dispositions back afterwards
        // (a Ctrl-C held meanwhile stops it then).
        var ran = false
        defer { if ran { Processes.stopForwardingSignals() } }
        var out: [String: Result] = [:]
        var kept: [String: Digest] = [:]
        for (name, _, build) in app.builtServices {
            guard let ref = app.builtImageName(service: name), out[ref.description] == nil else { continue }
            let before = try? store.resolve(ref.description).manifestDigest
            if let only, !only.contains(name), let before {
                // Unless another service of the same image name is to be rebuilt.
                kept[ref.description] = before
                continue
            }
            let request: BuildRequest
            let image: ResolvedImage
            do {
                request = try Self.request(service: name, build: build, image: ref, projectDirectory: projectDirectory, secrets: app.secrets)
                if showProgress { for w in request.warningLines { TerminalInfo.writeStderr(w + "\n") } }
                if let failure = request.checkDirectiveFailure(request.findings) { throw failure }
                note("\(name): building \(ref.familiar)")
                ran = true
                image = try Builder.run(request, store: store, runtime: runtime,
                                        progress: BuildProgress(mode: showProgress ? .plain : .quiet), pull: pull)
            } catch let e as DockerfileError {
                throw Self.failed(name, e.description, .invalidArgument)
            } catch let e as CNCError {
                throw Self.failed(name, e.description, e.code)
            }
            if showProgress, let w = request.unconsumedArgsWarning { TerminalInfo.writeStderr(w + "\n") }
            let changes = before == image.manifestDigest ? nil : BuildInputsRecord.changes(service: name, app: app.name, request: request,
                                                                                            stateRoot: stateRoot, previous: before, now: image.manifestDigest)
            out[ref.description] = Result(digest: image.manifestDigest, changes: changes)
        }
        for (ref, digest) in kept where out[ref] == nil { out[ref] = Result(digest: digest, changes: nil) }
        return out
    }

    static func failed(_ service: String, _ why: String, _ code: CNCError.Code) -> CNCError {
        CNCError(code, "service \(service): failed to build: \(why)")
    }

    /// The build request of one service's `build:`, as `cnc build` would make it from the same
    /// flags: context, Dockerfile (or dockerfile_inline), args, target, labels, tags, no_cache,
    /// network, extra_hosts, shm_size, pull, secrets (from the app's top-level `secrets`).
    static func request(service: String, build b: BuildSpec, image: ImageReference, projectDirectory: String,
                        secrets: [String: SecretSpec] = [:]) throws -> BuildRequest {
        let source: DockerfileSource
        if let inline = b.dockerfileInline {
            source = .text(inline, display: "dockerfile_inline")
        } else {
            let path = dockerfilePath(b)
            let shown = shownPath(path, base: projectDirectory)
            source = .file(path: path, display: shown, given: shown)
        }
        var r = try BuildRequest.load(context: b.context, dockerfile: source, buildArgs: b.args)
        r.target = b.target
        r.tags = [image] + (try (b.tags ?? []).map { try ImageReference(parsing: $0) }).filter { $0 != image }
        r.labels = b.labels ?? [:]
        r.noCache = b.noCache ?? false
        r.network = b.network.flatMap { .init(rawValue: $0) } ?? .default
        r.extraHosts = b.extraHosts ?? []
        r.shmSize = b.shmSize?.bytes
        r.pull = b.pull ?? false
        for ref in b.secrets ?? [] {
            guard let s = secrets[ref.source] else { throw CNCError(.notFound, "undefined secret \"\(ref.source)\"") }
            r.secrets[ref.target] = try secretBytes(s)
        }
        return r
    }

    /// A top-level secret's bytes for a build: its file, its environment variable or its content.
    static func secretBytes(_ s: SecretSpec) throws -> [UInt8] {
        if let file = s.file {
            guard FileSystem.exists(file) else { throw CNCError(.notFound, "failed to stat \(file): stat \(file): no such file or directory") }
            return try FileSystem.readBytes(file)
        }
        if let env = s.environment { return Array((Host.environment(env) ?? "").utf8) }
        if let content = s.content { return Array(content.utf8) }
        throw CNCError(.unsupported, "not supported yet: external secret \"\(s.name)\" as a build secret")
    }

    /// The Dockerfile's absolute path (nil for dockerfile_inline): relative to the context.
    static func dockerfilePath(_ b: BuildSpec) -> String {
        b.dockerfile.hasPrefix("/") ? b.dockerfile : b.context + "/" + b.dockerfile
    }

    /// What an apply's build would do to each built service's image, found without running a
    /// step (`Builder.probe`: every step in the cache gives the image's digest): the line
    /// `--dry-run` and `diff` print for each service whose image would change (with the inputs
    /// that changed since its image was built, when BuildInputsRecord knows them).
    /// `probed` gets the digest each fully cached build would give (by image reference), so a
    /// dry run plans with it.
    static func pendingRebuilds(app: AppSpec, projectDirectory: String, stateRoot: String, store: ImageStore, runtime: Runtime,
                                probed found: ((String, Digest, [String]?) -> Void)? = nil) -> [String] {
        app.builtServices.compactMap { name, _, b in
            // An image never built yet is probed too: a build whose steps are all cached (a CI
            // job ran `cnc build CONTEXT` first) plans with the exact image an apply would give.
            guard let ref = app.builtImageName(service: name),
                  let request = try? request(service: name, build: b, image: ref, projectDirectory: projectDirectory, secrets: app.secrets) else { return nil }
            let current = try? store.resolve(ref.description).manifestDigest
            let probed = try? Builder(request, store: store, runtime: runtime, progress: BuildProgress(mode: .quiet), pull: { _ in }).probe()
            if let probed, probed == current {
                found?(ref.description, probed, nil)
                return nil
            }
            guard let current else {
                guard let probed else { return nil }
                found?(ref.description, probed, nil)
                return "\(name): an apply builds \(ref.familiar) as \(probed.short) (all steps cached)"
            }
            // The inputs named as an apply's build would name them (its plan's cause), so a
            // plan saved from diff equals the one that apply makes.
            let pending = BuildInputsRecord.pending(service: name, app: app.name, request: request, stateRoot: stateRoot, current: current)
            if let probed { found?(ref.description, probed, pending) }
            let changed = pending ?? []
            let more = changed.count > 3 ? " (+\(changed.count - 3) more)" : ""
            let why = changed.isEmpty ? "" : "build context changed since \(ref.familiar) was built: " + changed.prefix(3).joined(separator: ", ") + more + "; "
            if let probed { return "\(name): \(why)an apply re-points \(ref.familiar) to \(probed.short) (all steps cached)" }
            return "\(name): \(why)an apply rebuilds \(ref.familiar) (steps not in the build cache)"
        }
    }

    /// What `--watch` watches for the builds: each context's files and each Dockerfile, but not
    /// for the services with `develop.watch` rules (those rules say what a change does).
    static func watchedFiles(_ app: AppSpec) -> [String] {
        app.builtServices.filter { $0.spec.develop?.watch.isEmpty ?? true }.flatMap { _, _, b -> [String] in
            let dockerfile = b.dockerfileInline == nil ? dockerfilePath(b) : nil
            return (BuildInputsRecord.contextFiles(context: b.context, dockerfile: dockerfile) ?? []) + (dockerfile.map { [$0] } ?? [])
        }
    }

    /// The services whose build reads one of `changed` (its context or Dockerfile), or nil when
    /// something else changed too (the spec, an env file: everything is built as usual).
    static func affected(by changed: [String], in app: AppSpec) -> Set<String>? {
        var out: Set<String> = []
        for path in changed {
            let hits = app.builtServices.filter { _, _, b in
                let ctx = b.context.hasSuffix("/") ? b.context : b.context + "/"
                return path.hasPrefix(ctx) || (b.dockerfileInline == nil && path == dockerfilePath(b))
            }
            if hits.isEmpty { return nil }
            out.formUnion(hits.map(\.name))
        }
        return out
    }

    /// A path as the user knows it: relative to the spec's directory when inside it.
    static func shownPath(_ path: String, base: String) -> String {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
