import ArgumentParser
import CNCCore
import CNCEngine
import CNCGitOps
import CNCPlanner
import CNCRuntime
import CNCSpec
import CNCState
import CNCSystem
import Foundation
import Synchronization

/// The GitOps agent behind `cncapply sync`: a loop over the apply path (fetch -> compile ->
/// plan -> apply), on a timer and on webhooks, one cycle at a time under the root's lock.
actor SyncAgent {
    struct Options: Sendable {
        var repo: String
        var branch: String
        var path: String
        var selfHeal: Bool
        var prune: Bool
        var json: Bool
        var interval: CNCDuration
    }

    enum Trigger: String, Sendable { case start, timer, webhook, stop }

    /// What the HTTP endpoints read: the status and metrics the loop updates after each cycle.
    final class Shared: Sendable {
        struct Values: Sendable {
            var status: SyncStatus
            var metrics = SyncMetrics()
        }
        private let values: Mutex<Values>
        init(_ status: SyncStatus) { values = Mutex(Values(status: status)) }
        func withLock<T: Sendable>(_ body: (inout Values) -> T) -> T { values.withLock { body(&$0) } }
    }

    static let webhookPath = "/hooks/git"

    let global: GlobalOptions
    let registry: PullFlags
    let options: Options
    let notifier: Notifier?
    let follower: GitFollower
    nonisolated let shared: Shared
    /// Compiled specs by app, for the commit they were compiled at: an unchanged commit is not
    /// compiled again.
    var compiled: [String: (commit: String, loaded: LoadedSpec)] = [:]
    /// Apply's flags for a sync (quiet: the cycle prints its own report) and for a drift check
    /// (the same, as a dry run); `--prune` prunes services too. The spec options are unused by
    /// `ApplyRun.converge` (the agent compiles each app itself).
    let applyFlags: ApplyFlags
    let driftFlags: ApplyFlags
    let specOptions: SpecOptions
    /// --profile is not a sync flag: $COMPOSE_PROFILES, as Compose reads it.
    let activeProfiles: Set<String>
    /// `--once`: notifications are sent before the cycle returns (the process exits next).
    var once = false
    /// This cycle's engine contexts by cgroup driver request, over one listing of the runtime's
    /// containers (read once per cycle, not once per app).
    var contexts: [String: AppContext] = [:]
    var listing: ContainerListing?

    init(global: GlobalOptions, registry: PullFlags, options: Options, notifier: Notifier?) {
        self.global = global
        self.registry = registry
        self.options = options
        self.notifier = notifier
        let quiet = ["-o", "json"] + (options.prune ? ["--prune"] : [])
        // Parsed, as ArgumentParser's types must be; these arguments always parse.
        applyFlags = (try? ApplyFlags.parse(quiet)) ?? ApplyFlags()
        driftFlags = (try? ApplyFlags.parse(quiet + ["--dry-run"])) ?? ApplyFlags()
        specOptions = (try? SpecOptions.parse([])) ?? SpecOptions()
        activeProfiles = specOptions.activeProfiles(environment: ProcessInfo.processInfo.environment)
        follower = GitFollower(repo: options.repo, branch: options.branch, stateRoot: global.stateRoot)
        shared = Shared(SyncStatus(
            repo: follower.repo, branch: options.branch, path: options.path, selfHeal: options.selfHeal, prune: options.prune,
            intervalSeconds: Double(options.interval.nanoseconds) / 1e9, webhook: nil))
    }

    /// Runs cycles until stopped (or once); returns the exit status.
    func run(once: Bool, webhook: (IPv4Address, UInt16)?, secret: [UInt8]?, statusAddress: (IPv4Address, UInt16)?) async throws -> Int32 {
        self.once = once
        let (triggers, trigger) = AsyncStream.makeStream(of: Trigger.self, bufferingPolicy: .bufferingNewest(1))
        let stopping = Atomic<Bool>(false)
        let signals = Processes.onTerminationSignals { sig in
            // A second signal does not wait for the cycle in progress.
            if stopping.exchange(true, ordering: .relaxed) { exit(128 + sig) }
            trigger.yield(.stop)
        }
        defer { _ = signals }
        // Bound before the first cycle: a bad address or a taken port fails the start.
        var servers: [HTTPServer] = []
        if let (ip, port) = statusAddress {
            let s = try HTTPServer(address: ip, port: port) { [shared] in SyncEndpoints.status($0, shared: shared) }
            servers.append(s)
            say("status: http://\(ip):\(s.port)/status, /metrics, /healthz")
        }
        if let (ip, port) = webhook, let secret {
            let hook = Webhook(secret: secret, branch: options.branch)
            let s = try HTTPServer(address: ip, port: port) { [shared] in
                SyncEndpoints.webhook($0, hook: hook, shared: shared, trigger: { trigger.yield(.webhook) })
            }
            servers.append(s)
            shared.withLock { $0.status.webhook = Self.webhookPath }
            say("webhook: http://\(ip):\(s.port)\(Self.webhookPath)")
        }
        for s in servers { s.start() }
        defer { for s in servers { s.stop() } }

        SdNotify.startWatchdog()
        var report = await cycle(.start)
        SdNotify.send("READY=1\nSTATUS=\(Self.statusLine(report))")
        if once { return report.apps.contains { $0.outcome.isFailure } || !report.problems.isEmpty ? 1 : 0 }
        let interval = options.interval
        let timer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval.nanoseconds))
                trigger.yield(.timer)
            }
        }
        defer { timer.cancel() }
        for await t in triggers {
            if t == .stop || stopping.load(ordering: .relaxed) { break }
            report = await cycle(t)
            SdNotify.send("STATUS=\(Self.statusLine(report))")
            if stopping.load(ordering: .relaxed) { break }
        }
        SdNotify.send("STOPPING=1")
        return 0
    }

    static func statusLine(_ r: SyncCycleReport) -> String {
        let failed = r.apps.filter { $0.outcome.isFailure }.count
        let drift = r.driftCount
        return "\(r.commit.map { String($0.prefix(7)) } ?? "no commit"): \(r.apps.count) apps, \(failed) failed, \(drift) drift" +
            (r.problems.first.map { "; \($0)" } ?? "")
    }

    // MARK: one cycle

    func cycle(_ trigger: Trigger) async -> SyncCycleReport {
        let started = ContinuousClock.now
        let cpu0 = Processes.cpuMicroseconds()
        var apps: [SyncAppReport] = []
        var problems: [String] = []
        var commit: String?
        do {
            let head = try follower.fetch()
            commit = head
            let tree = try follower.tree(head)
            let found = try AppDiscovery.discover(tree: tree, path: options.path)
            problems += found.problems
            let lock = try RootLock(root: global.stateRoot)
            defer { lock.close() }
            contexts = [:]
            // What a killed create left behind goes first, so the listing never holds it.
            let base = try context(nil)
            try await base.backend.sweepIncomplete()
            listing = ContainerListing(runtime: base.runtime)
            defer { contexts = [:]; listing = nil }
            let memoryFile = follower.directory + "/apps.json"
            var memory = SyncMemory.load(memoryFile)
            for app in found.apps {
                apps.append(await sync(app, head: head, tree: tree, memory: &memory))
            }
            let present = Set(found.apps.map(\.name))
            for (name, m) in memory.apps.sorted(by: { $0.key < $1.key }) where !present.contains(name) {
                apps.append(await orphan(name, m, memory: &memory))
            }
            try memory.save(memoryFile)
            follower.removeTrees(except: memory.runningCommits.union([head]))
            compiled = compiled.filter { present.contains($0.key) }
        } catch {
            problems.append("\(error)")
        }
        let elapsed = ContinuousClock.now - started
        let report = SyncCycleReport(
            time: Self.rfc3339(Date()), repo: follower.repo, branch: options.branch, commit: commit, trigger: trigger.rawValue,
            apps: apps, problems: problems, durationMilliseconds: Self.milliseconds(elapsed),
            cpuMilliseconds: (Processes.cpuMicroseconds() - cpu0) / 1000)
        shared.withLock {
            $0.status.cycles += 1
            $0.status.lastCycle = report
            $0.metrics.record(report, unixSeconds: Date().timeIntervalSince1970)
        }
        show(report)
        notify(report)
        return report
    }

    /// One app at the branch's head: compile, then apply (a new commit) or look for drift (the
    /// same commit as last time).
    func sync(_ app: DiscoveredApp, head: String, tree: String, memory: inout SyncMemory) async -> SyncAppReport {
        let before = memory.apps[app.name]
        var report = SyncAppReport(name: app.name, path: app.path, outcome: .inSync, commit: head)
        // Pinned: this commit already failed or rolled back; wait for a new one.
        if let before, before.commit == head, before.outcome == .rolledBack || before.outcome == .pinned || before.outcome == .failed {
            report.outcome = before.outcome == .failed ? .failed : .pinned
            report.commit = before.running
            report.message = "commit \(head.prefix(7)) \(before.outcome == .failed ? "failed" : "was rolled back")"
                + (before.running.map { "; running commit \($0.prefix(7))" } ?? "") + "; waiting for a new commit"
            memory.apps[app.name]?.outcome = report.outcome == .failed ? .failed : .pinned
            return report
        }
        let files = app.files.map { tree + "/" + $0 }
        var loaded: LoadedSpec
        do {
            loaded = try compile(app, files: files, head: head)
        } catch {
            return specError(error, app: app, head: head, tree: tree, before: before, report: report, memory: &memory)
        }
        Trace.mark("sync: \(app.name) compiled")
        // The same commit as last time, applied then: whatever differs from its revision is
        // drift, found as `cncapply status` finds it (AppEngine.drift).
        let atSameCommit = before.map { $0.commit == head && $0.running == head } ?? false
        var healing = false
        if atSameCommit {
            do {
                let ctx = try context(loaded.app)
                // Only a revision this commit made says what the commit wants; after an apply or a
                // `down` by hand, the plan below (the commit's spec against the host) is the drift.
                if let found = try await ctx.engine.drift(project: app.name, tagger: ctx.images, recompile: { [loaded] in try ctx.recompile($0, current: loaded) }),
                   found.origin?.commit == head {
                    report.drift = found.items
                    Trace.mark("sync: \(app.name) drift checked")
                    if found.items.isEmpty || !options.selfHeal {
                        if !found.items.isEmpty {
                            report.outcome = .drift
                            report.message = "\(found.items.count) drift item\(found.items.count == 1 ? "" : "s") (not healed: no --self-heal)"
                        }
                        memory.apps[app.name] = SyncMemory.App(path: app.path, commit: head, outcome: report.outcome, running: head)
                        return report
                    }
                    healing = true
                    if try await heal(found.items, tree: tree, head: head, ctx: ctx) {
                        compiled[app.name] = nil
                        loaded = try compile(app, files: files, head: head)
                    }
                }
            } catch {
                report.outcome = .failed
                report.commit = before?.running
                report.message = "\(error)".replacingOccurrences(of: tree + "/", with: "")
                return report
            }
        }
        let dryRun = atSameCommit && !options.selfHeal
        let run = ApplyRun(global: global, spec: specOptions, registry: registry, flags: dryRun ? driftFlags : applyFlags)
        let started = ContinuousClock.now
        do {
            let ctx = try context(loaded.app)
            Trace.mark("sync: \(app.name) engine opened")
            let result = try await run.converge(
                loaded, ctx: ctx, view: ProgressView(live: false, write: { _ in }), specFiles: files,
                origin: RevisionOrigin(repo: follower.repo, branch: options.branch, commit: head, path: app.path),
                rollbackOnFailure: true, reason: atSameCommit ? "self-heal" : "sync")
            if atSameCommit && !healing { report.drift = Self.driftItems(result.plan) }
            if result.plan.isEmpty {
                report.outcome = healing ? .healed : .inSync
            } else if dryRun {
                report.outcome = .drift
                report.message = "\(report.drift.count) drift item\(report.drift.count == 1 ? "" : "s") (not healed: no --self-heal)"
            } else {
                report.applySeconds = Double(Self.milliseconds(ContinuousClock.now - started)) / 1000
                report.revision = result.revision
                if let back = result.rollback {
                    let lastGood = try? await ctx.state.revision(project: app.name, number: back.toRevision)?.origin?.commit
                    report.outcome = .rolledBack
                    report.commit = lastGood ?? before?.running
                    report.revision = back.revision
                    report.message = "\(result.report?.failure?.description ?? "the apply failed"); rolled back to revision \(back.toRevision)"
                        + (report.commit.map { " (commit \($0.prefix(7)))" } ?? "") + "; pinned until a new commit"
                } else if let failure = result.report?.failure {
                    report.outcome = .failed
                    report.commit = before?.running
                    report.message = "\(failure.description); no earlier good revision to roll back to"
                } else {
                    report.outcome = atSameCommit ? .healed : .applied
                }
            }
        } catch {
            // Nothing was applied (a pull, a port conflict, ...): tried again next cycle.
            report.outcome = .failed
            report.commit = before?.running
            report.message = "\(error)".replacingOccurrences(of: tree + "/", with: "")
            return report
        }
        let running: String? = switch report.outcome {
        case .rolledBack, .failed: report.commit
        case .drift: before?.running
        default: head
        }
        memory.apps[app.name] = SyncMemory.App(path: app.path, commit: head, outcome: report.outcome, running: running)
        return report
    }

    /// The engine for an app whose spec is `spec` (its `x-cnc.cgroup_driver` counts), opened
    /// once per cycle and driver; the root is locked.
    func context(_ spec: AppSpec?) throws -> AppContext {
        let key = spec.map { "spec:" + $0.cnc.cgroupDriver.rawValue } ?? ""
        if let ctx = contexts[key] { return ctx }
        let ctx = try AppContext.open(global, locked: true, spec: spec, listing: listing)
        contexts[key] = ctx
        return ctx
    }

    /// An app the repository no longer has: removed with --prune, else reported.
    func orphan(_ name: String, _ m: SyncMemory.App, memory: inout SyncMemory) async -> SyncAppReport {
        guard options.prune else {
            return SyncAppReport(name: name, path: m.path, outcome: .orphaned, commit: m.running,
                                 message: "gone from the repository; still running (use --prune to remove it)")
        }
        do {
            let ctx = try context(nil)
            _ = try await DownCommand.remove(name, ctx: ctx, grace: nil, volumes: false, say: { _ in })
            memory.apps[name] = nil
            return SyncAppReport(name: name, path: m.path, outcome: .pruned, message: "gone from the repository; removed")
        } catch {
            return SyncAppReport(name: name, path: m.path, outcome: .failed, commit: m.running, message: "failed to remove: \(error)")
        }
    }

    /// The plan's actions as drift items, when no revision of this commit says what to compare
    /// with (the app was applied or taken down by hand since): what the apply would do, by kind.
    static func driftItems(_ plan: Plan) -> [DriftItem] {
        plan.actions.map { a in
            let kind: DriftItem.Kind = switch a.kind {
            case .create, .createNetwork, .createVolume: .removed
            case .start: .stopped
            default: .changed
            }
            return DriftItem(kind: kind, service: a.container == nil ? nil : a.subject, subject: a.container ?? a.subject, what: a.cause)
        }
    }

    /// The app's spec at `head`, compiled once per commit.
    func compile(_ app: DiscoveredApp, files: [String], head: String) throws -> LoadedSpec {
        if let cached = compiled[app.name], cached.commit == head { return cached.loaded }
        let loaded = try SpecOptions.load(files: files, projectName: app.name, profiles: activeProfiles,
                                          environment: ProcessInfo.processInfo.environment)
        compiled[app.name] = (head, loaded)
        return loaded
    }

    /// A commit whose spec does not compile: nothing changes; the app keeps its running commit.
    func specError(_ error: any Error, app: DiscoveredApp, head: String, tree: String, before: SyncMemory.App?,
                   report: SyncAppReport, memory: inout SyncMemory) -> SyncAppReport {
        var report = report
        report.outcome = .specError
        report.commit = before?.running
        if let e = error as? SpecErrors {
            report.errors = e.errors.map { $0.description.replacingOccurrences(of: tree + "/", with: "") }
            report.message = "commit \(head.prefix(7)): the spec does not compile; nothing changed"
        } else {
            report.errors = ["\(error)".replacingOccurrences(of: tree + "/", with: "")]
            report.message = "commit \(head.prefix(7)): the spec could not be read; nothing changed"
        }
        memory.apps[app.name] = SyncMemory.App(path: app.path, commit: head, outcome: .specError, running: before?.running)
        return report
    }

    /// `--self-heal`'s part that an apply does not do: a tag moved by hand points back at the
    /// image the revision ran (the commit was applied with that digest: converging back means
    /// that image, not the tag's new one), and files of the agent's checkout edited by hand are
    /// checked out again from the pinned commit. The apply that follows puts containers back.
    /// A tag whose image is gone from the store is left to the apply (which pulls it). Returns
    /// whether files were restored (the spec is compiled again).
    func heal(_ items: [DriftItem], tree: String, head: String, ctx: AppContext) async throws -> Bool {
        for item in items where item.kind == .imageRetagged {
            guard let expected = item.expected, let digest = try? Digest(expected) else { continue }
            do {
                try ctx.images.retag(item.subject, to: digest)
            } catch let e as CNCError where e.code == .notFound {
                continue
            }
        }
        guard items.contains(where: { $0.kind == .specEdited && $0.subject.hasPrefix(tree + "/") }) else { return false }
        try FileSystem.removeTree(tree)
        _ = try follower.tree(head)
        return true
    }

    // MARK: output

    func say(_ line: String) {
        // With -o json, stdout holds only the cycles: the addresses go to stderr.
        if options.json { TerminalInfo.writeStderr(line + "\n") } else { TerminalInfo.writeStdout(line + "\n") }
    }

    func show(_ r: SyncCycleReport) {
        if options.json {
            if let line = try? CanonicalJSON.string(r) { TerminalInfo.writeStdout(line + "\n") }
            return
        }
        var out = "sync \(options.branch)@\(r.commit.map { String($0.prefix(7)) } ?? "?") (\(r.trigger)): \(r.apps.count) app\(r.apps.count == 1 ? "" : "s")\n"
        for p in r.problems { TerminalInfo.writeStderr(ErrorText.line(p)) }
        for a in r.apps {
            var line = "  \(a.name): \(a.outcome.rawValue)"
            if let rev = a.revision, a.outcome == .applied || a.outcome == .healed { line += " (revision \(rev))" }
            if let m = a.message { line += " — \(m)" }
            out += line + "\n"
            for e in a.errors { out += "    \(e)\n" }
            for d in a.drift { out += "    drift: \(d.line)\n" }
        }
        TerminalInfo.writeStdout(out)
    }

    /// A JSON event per app that rolled back, failed or drifted.
    func notify(_ r: SyncCycleReport) {
        guard let notifier else { return }
        for a in r.apps where a.outcome.isFailure || a.outcome == .drift || a.outcome == .healed {
            // A pinned app was announced when it rolled back.
            if a.outcome == .pinned { continue }
            let event: String = switch a.outcome {
            case .rolledBack: "rollback"
            case .drift, .healed: "drift"
            default: "failure"
            }
            struct Event: Encodable { var version = 1; var event: String; var time: String; var repo: String; var branch: String; var commit: String?; var app: SyncAppReport }
            guard let body = try? CanonicalJSON.string(Event(event: event, time: r.time, repo: r.repo, branch: r.branch, commit: r.commit, app: a)) else { continue }
            let failed: @Sendable (String) -> Void = { TerminalInfo.writeStderr(ErrorText.line($0)) }
            if once {
                if let problem = notifier.send(Array(body.utf8)) { failed(problem) }
            } else {
                notifier.post(Array(body.utf8), failed: failed)
            }
        }
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    static func rfc3339(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}
