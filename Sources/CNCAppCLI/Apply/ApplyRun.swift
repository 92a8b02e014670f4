import ArgumentParser
import CNCCore
import CNCEngine
import CNCImage
import CNCOCI
import CNCPlanner
import CNCRuntime
import CNCSpec
import CNCState
import CNCSystem
import Foundation

/// One apply (and the watch loop around it), shared by `cncapply apply` and `--watch`.
struct ApplyRun {
    let global: GlobalOptions
    let spec: SpecOptions
    let registry: PullFlags
    let flags: ApplyFlags
    /// `cncapply watch`'s own options (Compose's `docker compose watch`).
    var watchOptions = WatchOptions()
    /// The plain apply's arguments: its outcome writes (or removes) the no-op record (NoopRecord).
    var noopRecordArguments: [String]?

    struct WatchOptions {
        /// The services whose develop.watch rules are followed (nil: all).
        var services: Set<String>? = nil
        /// Hide the build output of rebuilds.
        var quiet = false
        /// After a rebuild, remove the service's previous image when nothing holds it any more.
        var prune = false
    }

    /// What one apply did: its exit status (0 converged, 1 failed), the app, the revision it
    /// recorded (nil for a dry run or no change) and the failure, for --watch's sd_notify STATUS.
    struct Outcome {
        var status: Int32
        var project: String
        var revision: Int?
        var failure: String?

        /// The STATUS= line a Type=notify service shows in `systemctl status`.
        var statusLine: String {
            let what = revision.map { "revision \($0)" } ?? "no changes"
            if let failure { return "\(project): \(what) failed: \(failure)" }
            if status == 0 { return revision == nil ? "\(project): up to date (no changes)" : "\(project): \(what) applied" }
            return "\(project): \(what) not converged"
        }
    }

    /// Applies once; returns the outcome (status 0 converged, 1 failed).
    /// `rebuild`: only these services' builds run (`--watch` after an edit inside their
    /// contexts); nil builds every service with `build:` (unchanged ones are all cache hits).
    func once(savedPlan: Plan? = nil, rebuild: Set<String>? = nil) async throws -> Outcome {
        let json = flags.output == .json
        let view = ProgressView(live: !json && TerminalInfo.isTerminal(1))
        Trace.mark("apply: start")
        let wallStart = Processes.wallNanos()
        let loaded = try spec.loadReporting()
        Trace.mark("apply: spec compiled")
        let lock = try RootLock(root: global.stateRoot, wait: !flags.noWaitLock)
        defer { lock.close() }
        let started = ContinuousClock.now
        let ctx = try AppContext.open(global, locked: true, spec: loaded.app, progress: { event in if !json { Self.show(event, view) } })
        // An apply that got past the no-op fast path is likely to start something: warm the
        // cgroup migration lock now, while nothing needs cgroup_mutex (its first writer holds it
        // through an RCU grace period). The engine warms it again once the plan says so
        // (prepareStarts), which then finds it warm instead of opening a grace period that a
        // replacement's cgroup rmdir and mkdir would wait behind.
        if !flags.dryRun { ctx.runtime.primeCgroupMigration() }
        let result = try await converge(loaded, ctx: ctx, view: view, specFiles: try spec.absoluteSpecFiles(),
                                        savedPlan: savedPlan, rebuild: rebuild)
        let project = result.plan.project
        var status: Int32 = result.report.map { $0.succeeded ? 0 : 1 } ?? 0
        if status == 0, flags.wait, !flags.dryRun {
            let timeout = try flags.timeout.map { try CNCDuration(parsing: $0) } ?? .seconds(60)
            if let problem = try await waitHealthy(ctx, project: project, timeout: timeout) {
                if !json { view.note("wait: \(problem)") }
                status = 1
            }
        }
        let elapsed = ContinuousClock.now - started
        if let args = noopRecordArguments {
            // Only a no-op whose one output was the plan's note is recorded.
            let noop = status == 0 && !json && result.plan.isEmpty && result.report == nil && result.revision == nil && view.writes == 1
                && CountingLogHandler.written.load(ordering: .relaxed) == 0
            NoopRecord.save(root: global.stateRoot, args: args,
                            inputs: noop ? NoopRecord.inputs(loaded, specFiles: try spec.absoluteSpecFiles(), runtime: ctx.runtime, stateRoot: global.stateRoot) : nil,
                            output: Self.planNote(result.plan, project: project), start: wallStart)
        }
        if json {
            print(try CanonicalJSON.string(ApplyReport(result, elapsed: elapsed), pretty: true), terminator: "")
        } else if let report = result.report {
            // The failure is an error: stderr, as kubectl and Compose report theirs.
            if let failure = report.failure {
                view.finish()
                TerminalInfo.writeStderr(ErrorText.line("apply failed: \(failure.description)"))
            }
            if let back = result.rollback {
                view.note("rolled back to revision \(back.toRevision) (recorded as revision \(back.revision))")
            }
            if let revision = result.revision {
                view.note("\(project): revision \(revision) \(report.succeeded ? "applied" : "failed") in \(Self.format(elapsed))")
            }
        }
        return Outcome(status: status, project: project, revision: result.revision,
                       failure: result.report?.failure?.description ?? (status == 0 ? nil : "not every service became ready"))
    }

    /// The apply path once the spec is compiled and the root is locked: builds, images, the
    /// desired state, then the engine's observe -> plan -> execute (-> rollback). `cncapply
    /// apply` and `cncapply sync` both converge through here. `origin`: the git commit the spec
    /// came from (recorded with the revision); `rollbackOnFailure`: any failure rolls back.
    func converge(_ loaded: LoadedSpec, ctx: AppContext, view: ProgressView, specFiles: [String], origin: RevisionOrigin? = nil,
                  rollbackOnFailure: Bool = false, reason: String = "apply", savedPlan: Plan? = nil,
                  rebuild: Set<String>? = nil) async throws -> ApplyResult {
        let json = flags.output == .json
        let registry = self.registry, root = global.stateRoot
        // A dry run changes nothing, the image store included: it plans with the images that are
        // here and says which ones an apply would pull.
        if flags.dryRun { try ImageResolution.requireImages(loaded.app) }
        // build: first (the same builder as cnc build; an unchanged context is all cache hits).
        let built = flags.dryRun ? [:] : try ServiceBuilds(
            app: loaded.app, projectDirectory: loaded.projectDirectory, stateRoot: root, store: ctx.images, runtime: ctx.runtime,
            pull: { ref in _ = try registry.pull(try ImageReference(parsing: ref), stateRoot: root, store: ctx.images) },
            note: { if !json { view.note($0) } }, showProgress: !json && !watchOptions.quiet).buildAll(only: rebuild)
        var digests = flags.dryRun
            ? ImageResolution.localDigests(for: loaded.app, store: ctx.images, missing: { if !json { view.note($0) } })
            : try ImageResolution.digests(for: loaded.app, store: ctx.images, pull: { ref in
                try registry.pull(ref, stateRoot: root, store: ctx.images)
            }, note: { if !json { view.note($0) } })
        for (ref, b) in built { digests[ref] = b.digest }
        if flags.dryRun {
            // Builds whose every step is cached plan with the image they would give.
            var probed: [String: Digest] = [:]
            let lines = ServiceBuilds.pendingRebuilds(app: loaded.app, projectDirectory: loaded.projectDirectory, stateRoot: root,
                                                      store: ctx.images, runtime: ctx.runtime, probed: { ref, digest, _ in probed[ref] = digest })
            if !json { for line in lines { view.note(line) } }
            digests.merge(probed) { _, new in new }
        }
        Trace.mark("apply: engine opened, images resolved")
        var desiredApp = try DesiredAppBuilder.build(loaded.app, imageDigests: digests)
        for (i, s) in desiredApp.services.enumerated() {
            if let ref = loaded.app.builtImageName(service: s.name) { desiredApp.services[i].buildChanges = built[ref.description]?.changes }
        }
        let desired = desiredApp
        Trace.mark("apply: desired state built")
        let app = loaded.app
        var request = ApplyRequest(
            desired: desired, specText: { try AppContext.specText(app) }, specFiles: specFiles,
            workingDirectory: loaded.projectDirectory, options: flags.planOptions, dryRun: flags.dryRun, savedPlan: savedPlan,
            keepRevisions: loaded.app.cnc.revisionHistory)
        request.files = { [loaded] in Self.appliedFiles(loaded) }
        request.origin = origin
        request.rollbackOnFailure = rollbackOnFailure
        request.reason = reason
        let dryRun = flags.dryRun
        let sourceMap = loaded.sourceMap
        return try await PortConflicts.located(sourceMap) { try await ctx.engine.apply(request, recompile: { try ctx.recompile($0, current: loaded) }, onPlan: { plan in
            Trace.mark("apply: observed and planned")
            guard !json else { return }
            view.note(Self.planNote(plan, project: desired.project))
            if !plan.isEmpty && dryRun { view.note("(dry run: nothing changed)") }
        }) }
    }

    /// The note that shows a plan (an empty one: what a no-op apply prints).
    static func planNote(_ plan: Plan, project: String) -> String {
        let text = plan.text(steps: true)
        if plan.isEmpty {
            return text.isEmpty ? "\(project): no changes" : text.trimmingSuffixNewline + "\n\(project): no changes"
        }
        return "Plan for \(project) (\(plan.actions.count) action\(plan.actions.count == 1 ? "" : "s")):\n" + text.trimmingSuffixNewline
    }

    /// Runs `once` whenever a watched file changes; spec errors leave the running app alone.
    /// The watcher stays armed while an apply runs, so an edit made meanwhile is not lost.
    /// The first apply runs with the watcher already armed, so no edit is ever missed.
    /// As a Type=notify service ($NOTIFY_SOCKET): READY=1 once the first apply is done, a
    /// STATUS= line after each apply, WATCHDOG=1 pings when the unit sets WatchdogSec=.
    func watchLoop(firstApply: () async throws -> Outcome) async throws {
        var files = try watchedFiles()
        var develop = try developWatch()
        var watcher = try FileWatcher(paths: files, trees: develop.trees)
        var batches = watcher.changes().makeAsyncIterator()
        SdNotify.startWatchdog()
        let first = try await firstApply()
        SdNotify.send("READY=1\nSTATUS=\(first.statusLine); watching \(files.count) files")
        TerminalInfo.writeStdout("watching \(files.count) files (first apply exited \(first.status)); Ctrl-C stops watching and leaves the app running\n")
        if !develop.rules.isEmpty || !develop.boundPaths.isEmpty { try await startDevelop(develop, project: first.project) }
        var last = first
        while let next = await batches.next() {
            // develop.watch rules act on the paths they match; the spec, env and config files
            // re-apply as ever (a rule's path may hold them too).
            let plan = develop.batch(next)
            if !plan.isEmpty {
                last = try await runDevelop(plan, project: last.project) ?? last
            }
            let watched = Set(files)
            let batch = next.filter { watched.contains($0) }
            guard !batch.isEmpty else { continue }
            // Unbuffered: watch output goes to terminals and pipes alike, line by line.
            TerminalInfo.writeStdout("changed: \(batch.map(FileSystem.baseName).joined(separator: ", ")) — re-applying\n")
            do {
                // An edit inside build contexts rebuilds only the services that build from them.
                let rebuild = (try? spec.load()).flatMap { ServiceBuilds.affected(by: batch, in: $0.app) }
                last = try await once(rebuild: rebuild)
                SdNotify.send("STATUS=\(last.statusLine)")
            } catch let e as ExitCode where e.rawValue == 1 {
                TerminalInfo.writeStdout("the spec has errors (above); the running app is left as it is\n")
                SdNotify.send("STATUS=\(last.project): the spec has errors; \(last.revision.map { "revision \($0)" } ?? "the app") left running")
            } catch {
                TerminalInfo.writeStderr(ErrorText.line("apply failed: \(error)"))
                SdNotify.send("STATUS=\(last.project): apply failed: \(error)")
            }
            // The spec may now include other files: watch the new set (the old watcher stops
            // only once the new one is armed).
            let nowDevelop = (try? developWatch()) ?? develop
            if let now = try? watchedFiles(), now != files || nowDevelop.trees != develop.trees {
                let next = try FileWatcher(paths: now, trees: nowDevelop.trees)
                watcher.stop()
                watcher = next
                batches = next.changes().makeAsyncIterator()
                files = now
            }
            develop = nowDevelop
        }
    }

    /// The spec files (and their includes), env files, bind-mounted files, config/secret
    /// files and the paths x-cnc.watch names.
    func watchedFiles() throws -> [String] {
        let cwd = FileManager.default.currentDirectoryPath
        let loaded = try spec.load()
        var files = loaded.sourceMap.files.filter { $0 != "-" && !$0.isEmpty }
        for f in try spec.specFiles(workingDirectory: cwd) where f != "-" { files.insert(f) }
        files.insert(loaded.projectDirectory + "/.env")
        files.insert(loaded.projectDirectory + "/.env.enc")
        for f in spec.envFile { files.insert(f) }
        for (_, s) in loaded.app.services {
            for v in s.volumes where v.type == .bind { if let src = v.source, !FileSystem.isDirectory(src) { files.insert(src) } }
            files.formUnion(s.cnc.watch)
        }
        files.formUnion(ServiceBuilds.watchedFiles(loaded.app))
        for (_, c) in loaded.app.configs { if let f = c.file { files.insert(f) } }
        for (_, c) in loaded.app.secrets { if let f = c.file { files.insert(f) } }
        return files.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }.sorted()
    }

    /// The files a revision records (path -> digest) for drift: the spec files and their
    /// includes, and the env files the spec read. Only when a revision is recorded.
    static func appliedFiles(_ loaded: LoadedSpec) -> [String: String] {
        let cwd = FileManager.default.currentDirectoryPath
        let specFiles = loaded.sourceMap.files.filter { !$0.isEmpty && $0 != "-" && $0 != "<stdin>" }
        let paths = AppListing.absolute(Array(specFiles), directory: cwd) + loaded.envFiles
        return AppEngine.fileDigests(paths).compactMapValues { $0 }
    }

    /// Waits until every container of the app runs (and is healthy where it has a health check).
    func waitHealthy(_ ctx: AppContext, project: String, timeout: CNCDuration) async throws -> String? {
        let deadline = ContinuousClock.now + .nanoseconds(timeout.nanoseconds)
        while true {
            let containers = try await ctx.backend.listContainers(project: project)
            let waiting = containers.filter { c in
                c.observation.status != .running || c.observation.health == .starting
            }
            if let bad = containers.first(where: { $0.observation.health == .unhealthy }) {
                return "\(bad.name) is unhealthy"
            }
            if waiting.isEmpty { return nil }
            if ContinuousClock.now >= deadline {
                return "timed out after \(timeout) waiting for \(waiting.map(\.name).joined(separator: ", "))"
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    static func show(_ event: ProgressEvent, _ view: ProgressView) {
        switch event {
        case .note(let line): view.note(line)
        case .action(let a, let status):
            let label = a.container ?? a.subject
            switch status {
            case .running: view.update(label, Self.verb(a.kind) + "…")
            case .waiting(let why): view.update(label, Self.verb(a.kind) + "… " + why)
            case .done: view.update(label, Self.done(a.kind))
            case .failed(let why): view.update(label, "failed: \(why)")
            }
        }
    }

    static func verb(_ k: Action.Kind) -> String {
        switch k {
        case .createNetwork, .createVolume, .create: "creating"
        case .start: "starting"
        case .replace: "replacing"
        case .restart: "restarting"
        case .updateLimits: "updating limits"
        case .stop: "stopping"
        case .remove, .removeNetwork, .removeVolume: "removing"
        }
    }

    static func done(_ k: Action.Kind) -> String {
        switch k {
        case .createNetwork, .createVolume: "created"
        case .create, .start, .restart: "started"
        case .replace: "replaced"
        case .updateLimits: "limits updated"
        case .stop: "stopped"
        case .remove, .removeNetwork, .removeVolume: "removed"
        }
    }

    static func format(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms < 1000 ? "\(ms)ms" : String(format: "%.2fs", Double(ms) / 1000)
    }
}

/// `-o json`: the plan and what happened, versioned.
struct ApplyReport: Encodable {
    struct Outcome: Encodable { var action: Int; var status: String; var container: String?; var message: String? }
    var version = 1
    var plan: Plan
    var revision: Int?
    var succeeded: Bool
    var outcomes: [Outcome]
    var failure: String?
    var rolledBackTo: Int?
    var elapsedMilliseconds: Int64

    init(_ r: ApplyResult, elapsed: Duration) {
        plan = r.plan
        revision = r.revision
        succeeded = r.report?.succeeded ?? true
        outcomes = (r.report?.outcomes ?? []).map { Outcome(action: $0.action, status: $0.status.rawValue, container: $0.containerID, message: $0.message) }
        failure = r.report?.failure?.description
        rolledBackTo = r.rollback?.toRevision
        elapsedMilliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }
}

extension String {
    var trimmingSuffixNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
