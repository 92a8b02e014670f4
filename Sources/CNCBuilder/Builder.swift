import CNCBuild
import CNCCore
import CNCImage
import CNCOCI
import CNCRuntime
import CNCSystem
import Crypto
import Synchronization

/// Runs a Dockerfile build: the stages the target needs (in dependency order; unused stages are
/// skipped, so a broken one never fails the build), each instruction either reused from the
/// build cache or executed (RUN through cnc's runtime, COPY/ADD into a layer, the rest on the
/// image config), then the final stage lands in the image store with its tags. A failure
/// leaves no tag, container or temp directory behind (see BuildSweep for a killed build).
public final class Builder {
    let request: BuildRequest
    let store: ImageStore
    let runtime: Runtime
    let cache: BuildCache
    let progress: BuildProgress
    /// Pulls an image the store lacks (the CLI runs `cnc pull`).
    let pull: (String) throws -> Void
    let context: BuildContext
    /// The context's content digests by stat, loaded from and saved to `ContextStatCache`.
    let memo: FileDigestMemo
    /// This build's scratch directory under `<root>/build-tmp/` (removed at the end).
    let scratch: String
    let platform: Platform
    var stages: [Int: StageState] = [:]
    /// Base images `--pull` already pulled in this build (stages building side by side share it).
    let pulled = Mutex<Set<String>>([])
    /// The RUNs running and the first failure of stages building side by side.
    let cancellation = BuildCancellation()
    /// probe(): a step that would run (or a pull) ends the walk instead.
    var probing = false
    /// RUN containers being removed on threads of their own while later steps run.
    var removals: [Threads.Joinable<Void>] = []
    /// Cleans up after this build if it is killed (started with the first RUN).
    let sentinel: BuildSentinel
    /// What BuildResultRecord keeps of this build (stages building side by side add to it).
    let recording = Mutex(Recording())

    struct Recording {
        /// Every step so far came from the cache (and nothing was fetched from a URL).
        var allCached = true
        var steps: [BuildResultRecord.Step] = []
        var bases: [String: CNCCore.Digest] = [:]
    }

    public init(_ request: BuildRequest, store: ImageStore, runtime: Runtime, progress: BuildProgress,
                pull: @escaping (String) throws -> Void) throws {
        self.request = request
        self.store = store
        self.runtime = runtime
        self.progress = progress
        self.pull = pull
        cache = BuildCache(stateRoot: store.paths.stateRoot)
        context = try BuildContext(root: request.context, ignore: request.ignore)
        memo = ContextStatCache.load(stateRoot: store.paths.stateRoot, context: context)
        platform = request.arguments.targetPlatform
        scratch = try BuildSweep.makeScratch(stateRoot: store.paths.stateRoot)
        sentinel = BuildSentinel(runtime: runtime)
    }

    deinit {
        finishRemovals()
        try? FileSystem.removeTree(scratch)
        sentinel.finish()
    }

    /// Waits for the RUN containers' removals: nothing of a build outlives it, failed or not.
    func finishRemovals() {
        for r in removals { _ = try? r.join() }
        removals = []
        Trace.mark("build: RUN containers removed")
    }

    /// Sweeps what killed builds left, then builds: what `cnc build` and cncapply's `build:` run.
    /// `reportsInterrupt` (`cnc build`): a build ended by a stop signal throws `BuildCanceled`
    /// (BuildKit's words; the CLI exits 130) instead of raising the signal again once cleaned up.
    public static func run(_ request: BuildRequest, store: ImageStore, runtime: Runtime, progress: BuildProgress,
                           reportsInterrupt: Bool = false, pull: @escaping (String) throws -> Void) throws -> ResolvedImage {
        BuildSweep.sweep(runtime: runtime, stateRoot: store.paths.stateRoot)
        // A no-change rebuild: the recorded image, tagged, without evaluating a step.
        if let image = try store.withIngestHold({ try BuildResultRecord.replay(request, store: store, progress: progress) }) {
            return image
        }
        // Ctrl-C and SIGTERM go to the RUN running; between steps they are held; either way they
        // end the build at its next step (nothing tagged). Held ones are delivered once the
        // builder has cleaned up, unless the interruption is reported.
        Processes.resetReceivedInterrupt()
        Processes.forwardSignals(to: 0)
        var reported = false
        defer {
            if reported { Processes.dropHeldInterrupts() }
            Processes.stopForwardingSignals()
        }
        let image: ResolvedImage
        do {
            let builder = try Builder(request, store: store, runtime: runtime, progress: progress, pull: pull)
            image = try builder.build()
        } catch {
            // What the interrupted RUN or step said is no part of the story: the build was canceled.
            let signal = Processes.receivedInterrupt()
            if reportsInterrupt, signal != 0 {
                reported = true
                throw BuildCanceled(signal: signal)
            }
            throw error
        }
        return image
    }

    /// Stops the build between steps when another stage failed or a stop signal arrived (held,
    /// or sent on to a RUN that went on regardless).
    func checkpoint() throws {
        if cancellation.isCancelled { throw BuildCancellation.Cancelled() }
        if Processes.receivedInterrupt() != 0 { throw CNCError(.cancelled, "canceled") }
    }

    /// Builds the target stage; returns the image as stored (tagged with the request's tags).
    public func build() throws -> ResolvedImage {
        defer {
            ContextStatCache.save(memo, stateRoot: store.paths.stateRoot, context: context)
            finishRemovals()
        }
        return try store.withIngestHold { try buildHeld() }
    }

    /// The manifest digest this build would give without running anything, when every step is
    /// in the build cache (and every base image in the store); nil when some step would run.
    /// `--dry-run` and `diff` compare it with what a tag has.
    public func probe() throws -> CNCCore.Digest? {
        probing = true
        defer {
            probing = false
            ContextStatCache.save(memo, stateRoot: store.paths.stateRoot, context: context)
        }
        let final: StageState
        do { final = try finalStage() } catch is ProbeMiss { return nil }
        guard final.image.created != nil else { return nil }
        let config = try CanonicalJSON.encode(final.image)
        let configDesc = Descriptor(mediaType: MediaType.ociConfig, digest: try Self.sha256(config), size: Int64(config.count))
        return try Self.sha256(try CanonicalJSON.encode(Manifest(config: configDesc, layers: final.layers)))
    }

    /// A step a probe would have to run.
    struct ProbeMiss: Error {}

    static func sha256(_ bytes: [UInt8]) throws -> CNCCore.Digest { try CNCCore.Digest.sha256(bytes: Array(SHA256.hash(data: bytes))) }

    private func buildHeld() throws -> ResolvedImage {
        let started = Processes.wallNanos()
        var final = try finalStage()
        try checkpoint()
        // The step events before the export: what a replay prints.
        let events = progress.transcript
        let stable = final.image.created != nil
        final.image.created = final.image.created ?? now
        let image = try Self.export(layers: final.layers, config: final.image, tags: request.tags, store: store, progress: progress)
        if stable { record(image, final, events: events, started: started) }
        return image
    }

    /// The image into the store with its tags, as the "exporting to image" step.
    static func export(layers: [Descriptor], config: ImageConfig, tags: [ImageReference], store: ImageStore,
                       progress: BuildProgress) throws -> ResolvedImage {
        let step = progress.begin("exporting to image")
        let image = try store.addBuiltImage(layers: layers, config: config, names: tags)
        progress.note(step, "writing image \(image.id) done")
        for t in tags { progress.note(step, "naming to \(t.description) done") }
        progress.done(step)
        return image
    }

    /// Keeps the result of a build whose every step came from the cache (BuildResultRecord).
    func record(_ image: ResolvedImage, _ final: StageState, events: [BuildResultRecord.Event], started: Int64) {
        let r = recording.withLock { $0 }
        guard r.allCached, let name = BuildResultRecord.name(request, context: context),
              let signature = BuildResultRecord.signature(context, changedSince: started) else { return }
        BuildResultRecord.save(.init(signature: signature, bases: r.bases, steps: r.steps, events: events, layers: final.layers,
                                     config: final.image, manifest: image.manifestDigest),
                               name: name, stateRoot: store.paths.stateRoot)
    }

    /// The target stage with the request's labels over its config.
    func finalStage() throws -> StageState {
        let graph = try BuildGraph(request.dockerfile, arguments: request.arguments)
        let target = try graph.targetIndex(request.target)
        let multi = graph.stages.count > 1
        for level in try graph.buildLevels(target: request.target) {
            for (s, state) in try buildLevel(level, graph, multi: multi) { stages[s] = state }
        }
        guard var final = stages[target] else { throw CNCError(.internal, "the target stage was not built") }
        if !request.labels.isEmpty {
            var c = final.config
            c.labels = (c.labels ?? [:]).merging(request.labels) { _, new in new }
            final.config = c
        }
        return final
    }

    func buildStage(_ graph: BuildGraph, _ stage: BuildStage, multi: Bool) throws -> StageState {
        let counted = stage.instructions.filter { Self.makesVertex($0.kind) }.count + 1
        var number = 1
        func title(_ text: String) -> String {
            let prefix = multi ? "\(stage.displayName) " : ""
            return "[\(prefix)\(number)/\(counted)] \(text)"
        }
        let fromStep = progress.begin(title("FROM \(stage.base)"))
        var state = try base(graph, stage)
        progress.done(fromStep)
        // ONBUILD triggers of the base run first, as part of this stage (and are not inherited).
        var instructions = stage.instructions
        if let triggers = state.config.onBuild, !triggers.isEmpty {
            // Parsed under a FROM of their own (the parser wants one), which is then dropped.
            let parsed = try DockerfileParser.parse((["FROM scratch"] + triggers).joined(separator: "\n"), path: request.dockerfile.path)
            instructions = parsed.instructions.dropFirst().map { var i = $0; i.line = stage.from.line; i.endLine = stage.from.line; return i } + instructions
            var c = state.config
            c.onBuild = nil
            state.config = c
        }
        let env = state.envPairs.map { KeyValue(key: $0.0, value: $0.1) }
        let (steps, scope) = try graph.evaluator().evaluate(instructions, baseEnv: env, inherited: state.scope)
        state.scope = scope
        for step in steps {
            // ARG too leaves an empty-layer history entry (`ARG X=1`), as BuildKit.
            try checkpoint()
            let visible = Self.makesVertex(step.instruction.kind)
            if visible { number += 1 }
            let shown = visible ? progress.begin(title(Self.oneLine(step.text))) : nil
            var cached = false
            do {
                cached = try execute(step, graph: graph, into: &state, progress: shown)
            } catch let e as DockerfileError {
                throw e
            } catch let e as ProbeMiss {
                throw e
            } catch {
                // Ctrl-C or SIGTERM stopped the step: BuildKit's `#5 CANCELED`.
                if let shown, Processes.receivedInterrupt() != 0 { progress.canceled(shown) }
                throw DockerfileError(file: request.dockerfile.path, line: step.instruction.line, instruction: step.instruction.kind.name,
                                      Self.describe(error))
            }
            if let shown, !cached { progress.done(shown) }
        }
        return state
    }

    /// The instructions BuildKit shows as steps of their own.
    static func makesVertex(_ kind: InstructionKind) -> Bool { kind == .run || kind == .copy || kind == .add || kind == .workdir }

    static func makesLayer(_ kind: InstructionKind) -> Bool { kind == .run || kind == .copy || kind == .add }

    static func oneLine(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? text
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? CNCError { return e.description }
        return "\(error)"
    }

    /// The state a stage starts from: scratch, an earlier stage, or an image (pulled when the
    /// store lacks it).
    func base(_ graph: BuildGraph, _ stage: BuildStage) throws -> StageState {
        // `FROM --platform=`: only this host's platform builds (no emulation, no cross-pulls).
        if let text = stage.platform {
            let fail = { (why: String) in DockerfileError(file: self.request.dockerfile.path, line: stage.from.line, instruction: "FROM", why) }
            let wanted: Platform
            do { wanted = try Platform(parsing: text) } catch { throw fail(Self.describe(error)) }
            guard platform.matches(wanted) || wanted.matches(platform) else {
                throw fail("not supported yet: --platform=\(wanted) (this host builds \(platform); cnc builds for the host's platform only)")
            }
        }
        if let i = graph.stageIndex(named: stage.base), i < stage.index, let earlier = stages[i] {
            var s = earlier
            s.cmdSet = false
            return s
        }
        if stage.base == "scratch" {
            var config = CNCOCI.ContainerConfig()
            config.env = [Runtime.defaultPath]
            var image = ImageConfig(architecture: platform.architecture, os: platform.os, config: config, rootfs: RootFS(diffIDs: []), history: [])
            image.variant = platform.variant
            return StageState(image: image, key: BuildCache.key(parent: "", ["FROM scratch", platform.description]))
        }
        let resolved: ResolvedImage
        do { resolved = try resolveImage(stage.base) } catch let e as ProbeMiss { throw e } catch {
            throw DockerfileError(file: request.dockerfile.path, line: stage.from.line, instruction: "FROM", Self.describe(error))
        }
        return StageState(layers: resolved.manifest.layers, diffIDs: resolved.diffIDs, image: resolved.config,
                          key: BuildCache.key(parent: "", ["FROM", resolved.manifestDigest.description]))
    }

    /// An image from the store, pulled first when the store lacks it (or always, with `--pull`).
    func resolveImage(_ reference: String) throws -> ResolvedImage {
        if probing {
            guard !request.pull, let image = try? store.resolve(reference) else { throw ProbeMiss() }
            return image
        }
        if request.pull, pulled.withLock({ $0.insert(reference).inserted }) {
            try pull(reference)
        }
        let image: ResolvedImage
        do { image = try store.resolve(reference) } catch let e as CNCError where e.code == .notFound {
            try pull(reference)
            image = try store.resolve(reference)
        }
        recording.withLock { $0.bases[reference] = image.manifestDigest }
        return image
    }

    /// One instruction: from the cache when its key is there (and its layer still is), else run.
    /// Returns true when the step came from the cache.
    func execute(_ step: ResolvedStep, graph: BuildGraph, into state: inout StageState, progress shown: BuildProgress.Step?) throws -> Bool {
        let kind = step.instruction.kind
        var inputs = [step.text] + step.usedArgs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        // What RUN sees besides its command (only when set, so keys of plain builds stay as they were).
        if kind == .run {
            if !request.extraHosts.isEmpty { inputs.append("add-host=" + request.extraHosts.joined(separator: ",")) }
            if let shm = request.shmSize { inputs.append("shm-size=\(shm)") }
            // What a bind mount of the context shows the command: its files by content, as a
            // COPY of them would be keyed (BuildKit's), so editing a bound file runs the step again.
            if case .run(let spec) = step.command {
                for m in spec.mounts where m.type == .bind {
                    if let from = m.from {
                        inputs.append("bind-from=" + (m.target ?? "") + "\0" + from + "\0" + (try CopyJob.viewChecksum(try bindSources(m, graph: graph))))
                    } else {
                        let selected = try context.select([BuildPath.clean(m.source ?? "")])
                        inputs.append("bind=" + (m.target ?? "") + "\0" + (try ContentChecksum.digest(selected, context: context, memo: memo)))
                    }
                }
            }
        }
        if let epoch = request.sourceDateEpoch { inputs.append("source-date-epoch=\(epoch)") }
        var copy: CopyJob?
        switch step.command {
        case .copy(let spec), .add(let spec):
            let job = try CopyJob.prepare(spec, isAdd: kind == .add, builder: self, graph: graph, state: state, heredocs: step.instruction.heredocs)
            inputs.append(job.checksum)
            copy = job
        default: break
        }
        let key = BuildCache.key(parent: state.key, inputs)
        let createdBy = Self.makesLayer(kind) ? step.text + " # buildkit" : step.text
        if !request.noCache, let (hit, bytes) = cache.lookupWithBytes(key), hit.history.createdBy == createdBy, usable(hit, state) {
            if Self.makesLayer(kind), let shown { progress.cached(shown) }
            cache.used(key)
            if !probing {
                let step = BuildResultRecord.Step(key: key, entry: String(decoding: bytes, as: UTF8.self), layer: hit.layer?.digest)
                recording.withLock { $0.steps.append(step) }
            }
            state.apply(step.command)
            state.append(hit.layer, history: hit.history)
            state.key = key
            return Self.makesLayer(kind)
        }
        if probing { throw ProbeMiss() }
        recording.withLock { $0.allCached = false }
        var layer: BuiltLayer?
        switch step.command {
        case .run(let spec): layer = try run(spec, step: step, graph: graph, state: state, progress: shown)
        case .copy, .add:
            if let job = copy, job.spec.link { layer = try linkedLayer(job, inputs: inputs, state: state) } else { layer = try copy?.execute(state: state) }
        default: state.apply(step.command)
        }
        let history = History(created: now, createdBy: createdBy, comment: "buildkit.dockerfile.v0")
        state.append(layer, history: history)
        state.key = key
        try cache.store(key, BuildCache.Entry(history: state.image.history?.last ?? history, layer: layer))
        Trace.mark("build: step recorded in the cache")
        return false
    }

    /// A time for the config and history: `SOURCE_DATE_EPOCH` when the build has one.
    var now: String { request.sourceDateEpoch.map { ImageStore.timestamp(epoch: $0) } ?? ImageStore.now() }

    /// A cached layer is usable while its blob is in the store (its unpacked directory is made
    /// again when needed).
    func usable(_ entry: BuildCache.Entry, _ state: StageState) -> Bool {
        guard let layer = entry.layer else { return true }
        guard store.hasBlob(layer.digest) else { return false }
        return (try? store.builtLayerDirectory(layer, parentDiffIDs: state.diffIDs)) != nil
    }

    /// The overlay lowers of a stage (top-most first); an empty directory for a stage without layers.
    func lowerDirectories(_ state: StageState) throws -> [String] {
        let dirs = try store.builtLayerDirectories(state.layers, diffIDs: state.diffIDs)
        if !dirs.isEmpty { return dirs }
        let empty = scratch + "/empty"
        try FileSystem.createDirectory(empty, mode: 0o755)
        return [empty]
    }
}
