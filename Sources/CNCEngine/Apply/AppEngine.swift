import CNCCore
import CNCPlanner
import CNCState
import CNCSystem
import Foundation

/// What one `cncapply` run asks for.
public struct ApplyRequest: Sendable {
    public var desired: DesiredApp
    /// The normalized spec, stored with the revision (rollback re-applies it). Rendered only
    /// when a revision is recorded: a no-op apply records none, and rendering 20 services'
    /// spec as YAML costs a few milliseconds (see `init(desired:specText:...)`).
    public var spec: String {
        get throws { try specText() }
    }
    private var specText: @Sendable () throws -> String
    public var specFiles: [String]
    public var workingDirectory: String
    public var options: PlanOptions
    public var dryRun: Bool
    /// `--plan plan.json`: run exactly this plan, refusing when the observed state moved on.
    public var savedPlan: Plan?
    public var keepRevisions: Int
    public var author: String
    public var reason: String
    /// The files the spec was read from, path -> digest (AppEngine.fileDigests), recorded with
    /// the revision for drift detection; computed only when a revision is recorded.
    public var files: @Sendable () -> [String: String] = { [:] }
    /// The git commit the spec came from (`cncapply sync`), recorded with the revision.
    public var origin: RevisionOrigin?
    /// Roll back to the last successful revision on any failure, health gate or not, whatever
    /// the services' `failure_action` says (`cncapply sync`: a failed deploy never stays).
    public var rollbackOnFailure = false

    public init(desired: DesiredApp, spec: String, specFiles: [String] = [], workingDirectory: String = "",
                options: PlanOptions = PlanOptions(), dryRun: Bool = false, savedPlan: Plan? = nil, keepRevisions: Int = 10,
                author: String = AppEngine.defaultAuthor, reason: String = "apply") {
        self.init(desired: desired, specText: { spec }, specFiles: specFiles, workingDirectory: workingDirectory, options: options,
                  dryRun: dryRun, savedPlan: savedPlan, keepRevisions: keepRevisions, author: author, reason: reason)
    }

    /// `specText` renders the normalized spec; it runs at most once per recorded revision.
    public init(desired: DesiredApp, specText: @escaping @Sendable () throws -> String, specFiles: [String] = [],
                workingDirectory: String = "", options: PlanOptions = PlanOptions(), dryRun: Bool = false, savedPlan: Plan? = nil,
                keepRevisions: Int = 10, author: String = AppEngine.defaultAuthor, reason: String = "apply") {
        self.desired = desired
        self.specText = specText
        self.specFiles = specFiles
        self.workingDirectory = workingDirectory
        self.options = options
        self.dryRun = dryRun
        self.savedPlan = savedPlan
        self.keepRevisions = keepRevisions
        self.author = author
        self.reason = reason
    }
}

extension ApplyRequest {
    /// Stores `spec` as the text to record (a rollback records the revision it goes back to).
    public mutating func setSpec(_ spec: String) { specText = { spec } }
}

/// What an apply did.
public struct ApplyResult: Sendable {
    public var plan: Plan
    public var report: Executor.Report?
    /// The revision recorded (nil for a dry run or an empty plan).
    public var revision: Int?
    /// When a failed health gate asked for it: the apply that went back to the previous revision.
    public var rollback: RollbackResult?
}

public struct RollbackResult: Sendable {
    public var toRevision: Int
    public var plan: Plan
    public var report: Executor.Report
    public var revision: Int
}

/// observe -> plan -> execute -> record, for one app on one host.
public final class AppEngine: Sendable {
    public static var defaultAuthor: String {
        let user = Host.environment("SUDO_USER") ?? Host.environment("USER") ?? "root"
        return user + "@" + (Host.environment("HOSTNAME") ?? "localhost")
    }

    public let config: EngineConfig
    public let backend: any ContainerBackend
    public let state: StateDB
    public let executorOptions: Executor.Options
    public let progress: @Sendable (ProgressEvent) -> Void

    public init(config: EngineConfig, backend: any ContainerBackend, state: StateDB,
                executorOptions: Executor.Options = Executor.Options(), progress: @escaping @Sendable (ProgressEvent) -> Void = { _ in }) {
        self.config = config
        self.backend = backend
        self.state = state
        self.executorOptions = executorOptions
        self.progress = progress
    }

    /// The app as it is: containers from the runtime (by label), enriched with the state DB's
    /// records (the sections they were created from), networks and volumes.
    /// With `desired`, containers already matching it skip loading what only a diff needs.
    /// `tidy` (an apply that may change things) first clears what a killed create left behind
    /// and forgets the records of containers that are gone; without it observing changes nothing.
    public func observe(project: String, desired: DesiredApp? = nil, tidy: Bool = false) async throws -> ObservedApp {
        if tidy { try await backend.sweepIncomplete() }
        // Per service: two services may share one configuration (and so one hash).
        let upToDate = Dictionary(desired?.services.map { ($0.name, $0.configHash) } ?? [], uniquingKeysWith: { a, _ in a })
        let records = Dictionary(try await state.containers(project: project, upToDate: upToDate).map { ($0.id, $0) },
                                 uniquingKeysWith: { a, _ in a })
        Trace.mark("observe: state records")
        var containers: [ObservedContainer] = []
        let listed = try await backend.listContainers(project: project)
        Trace.mark("observe: runtime listed")
        for rc in listed {
            let record = records[rc.id]
            guard let service = rc.labels[AppLabels.service] ?? record?.service else { continue }
            let replica = rc.labels[AppLabels.replica].flatMap(Int.init) ?? record?.replica ?? 1
            // Section hashes only matter for a container that differs from the spec.
            let current = upToDate[service].map { $0 == rc.labels[AppLabels.configHash] } ?? false
            let sectionHashes = current ? [:] : rc.labels[AppLabels.sectionHashes]
                .flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? record?.sectionHashes ?? [:]
            containers.append(ObservedContainer(
                id: rc.id, name: rc.name, service: service, replica: replica, status: rc.observation.status,
                exitCode: rc.observation.exitCode, health: rc.observation.health,
                configHash: rc.labels[AppLabels.configHash] ?? record?.configHash ?? "",
                sectionHashes: sectionHashes,
                // Only trust the recorded sections when they belong to this very config.
                appliedSections: record.flatMap { $0.configHash == rc.labels[AppLabels.configHash] ? $0.appliedSections : nil },
                imageDigest: (rc.labels[AppLabels.imageDigest] ?? record?.imageDigest).flatMap { try? Digest($0) },
                image: rc.labels[AppLabels.image] ?? record?.image, liveLimits: rc.liveLimits))
        }
        // Records whose container is gone were removed behind our back: forget them.
        let live = Set(containers.map(\.id))
        if tidy { for id in records.keys where !live.contains(id) { try await state.removeContainer(id: id) } }
        let last = try await state.lastSucceededRevision(project: project)
        Trace.mark("observe: revisions")
        return ObservedApp(
            containers: containers.sorted { ($0.service, $0.replica, $0.name) < ($1.service, $1.replica, $1.name) },
            networks: try await backend.listNetworks(project: project), volumes: try await backend.listVolumes(project: project),
            // After `down`, nothing is applied: a later apply creates, it does not "find missing".
            appliedReplicas: try await state.isDown(project: project) ? [:] : last?.replicas ?? [:])
    }

    /// The plan an apply of `request` would run now (observing only: nothing changes).
    public func plan(_ request: ApplyRequest) async throws -> Plan {
        Planner.plan(desired: request.desired, observed: try await observe(project: request.desired.project, desired: request.desired),
                     options: request.options)
    }

    /// Converges the app. `recompile` turns a stored revision back into a desired app (used for
    /// automatic rollback after a failed health gate).
    public func apply(
        _ request: ApplyRequest,
        recompile: @Sendable (RevisionRecord) async throws -> DesiredApp = { _ in
            throw CNCError(.unsupported, "rollback needs the spec compiler")
        },
        onPlan: @Sendable (Plan) -> Void = { _ in }
    ) async throws -> ApplyResult {
        let project = request.desired.project
        // A dry run observes only: no sweep, no record dropped, no runtime call that changes anything.
        let observed = try await observe(project: project, desired: request.desired, tidy: !request.dryRun)
        let plan = Planner.plan(desired: request.desired, observed: observed, options: request.options)
        onPlan(plan)
        if let saved = request.savedPlan {
            guard saved.project == project, saved.observedFingerprint == plan.observedFingerprint else {
                throw CNCError(.conflict, "the saved plan is stale: the app changed since it was made (run cncapply diff --plan-out again)")
            }
            // The saved plan names its objects by name and config hash: attach the recompiled
            // spec's, then it must be the very plan made now.
            guard try saved.attaching(request.desired).actions == plan.actions else {
                throw CNCError(.conflict, "the saved plan no longer matches the spec (run cncapply diff --plan-out again)")
            }
        }
        // Before anything starts (and in a dry run): a fixed host port that another container or
        // a host process holds stops the apply here, not after the first services started.
        let conflicts = try await portConflicts(in: plan, own: Set(observed.containers.map(\.id)))
        if !conflicts.isEmpty { throw PortConflicts(conflicts) }
        // An external volume is used, never made: missing, the apply stops here (Compose's words).
        for v in request.desired.volumes where v.external {
            let name = v.spec?.name ?? v.name
            if !(await backend.volumeExists(name)) { throw CNCError(.notFound, "external volume \"\(name)\" not found") }
        }
        if request.dryRun || plan.isEmpty { return ApplyResult(plan: plan, report: nil, revision: nil, rollback: nil) }

        let (revision, report) = try await execute(plan, request: request)
        var result = ApplyResult(plan: plan, report: report, revision: revision, rollback: nil)
        if report.rollbackRequested || (request.rollbackOnFailure && !report.succeeded),
           let previous = try await state.revisions(project: project).last(where: { $0.outcome == .succeeded && $0.number < revision }) {
            progress(.note("health gate failed: rolling back to revision \(previous.number)"))
            try await state.setOutcome(project: project, number: revision, .rolledBack)
            let desired = try await recompile(previous)
            var back = request
            back.desired = desired
            back.setSpec(previous.spec)
            back.reason = "auto-rollback to \(previous.number)"
            back.origin = previous.origin
            back.savedPlan = nil
            // The files that revision was applied from: the spec on disk is now the broken one.
            let files = previous.files
            back.files = { files }
            let backPlan = Planner.plan(desired: desired, observed: try await observe(project: project, tidy: true), options: request.options)
            let (n, backReport) = try await execute(backPlan, request: back)
            result.rollback = RollbackResult(toRevision: previous.number, plan: backPlan, report: backReport, revision: n)
        }
        return result
    }

    /// Records a pending revision, runs the plan, records containers as they appear, and marks
    /// the outcome. A crash mid-way leaves a pending revision and labelled containers that the
    /// next observe picks up.
    private func execute(_ plan: Plan, request: ApplyRequest) async throws -> (Int, Executor.Report) {
        let project = request.desired.project
        if plan.actions.contains(where: { [.create, .start, .replace, .restart].contains($0.kind) }) { backend.prepareStarts() }
        let now = Int64(Date().timeIntervalSince1970)
        // An apply killed mid-way left its revision pending: it did not finish, say so.
        for n in try await state.failInterrupted(project: project) {
            try await state.addEvent(project: project, kind: "interrupted", message: "revision \(n) was interrupted", time: now)
        }
        var images: [String: String] = [:]
        for s in request.desired.services { if let d = s.imageDigest { images[s.image] = d.description } }
        let revision = try await state.addRevision(RevisionRecord(
            project: project, spec: try request.spec, images: images,
            configHashes: Dictionary(request.desired.services.map { ($0.name, $0.configHash) }, uniquingKeysWith: { a, _ in a }),
            replicas: Dictionary(request.desired.services.map { ($0.name, $0.replicas) }, uniquingKeysWith: { a, _ in a }),
            author: request.author, createdAt: now, outcome: .pending, reason: request.reason, files: request.files(),
            origin: request.origin),
            keep: request.keepRevisions)
        try await state.recordApp(project: project, specFiles: request.specFiles, workingDirectory: request.workingDirectory, now: now)
        Trace.mark("apply: revision recorded")
        let state = self.state
        let executor = Executor(backend: backend, options: executorOptions, progress: progress)
        // A replacement's stop no longer waits for the kernel to take the old container's host
        // veth away before the new container is made: the wait happens once, at the end.
        let report = try await backend.batchingReleases { await executor.run(plan) { event in
            switch event {
            case .created(let id, let s, let replica, let name):
                try await state.upsertContainer(ContainerRecord(
                    id: id, project: project, service: s.name, replica: replica, name: name, configHash: s.configHash,
                    sectionHashes: s.sectionHashes, appliedSections: s.sections, image: s.image,
                    imageDigest: s.imageDigest?.description, revision: revision, createdAt: Int64(Date().timeIntervalSince1970)))
            case .removed(let id):
                try await state.removeContainer(id: id)
            case .renamed(let id, let name):
                if var r = try await state.containers(project: project).first(where: { $0.id == id }) {
                    r.name = name
                    try await state.upsertContainer(r)
                }
            }
        } }
        Trace.mark("apply: plan executed")
        try await state.setOutcome(project: project, number: revision, report.succeeded ? .succeeded : .failed)
        try await state.addEvent(project: project, kind: report.succeeded ? "applied" : "failed",
                                 message: "revision \(revision): \(plan.actions.count) actions" + (report.failure.map { ": \($0.description)" } ?? ""),
                                 time: Int64(Date().timeIntervalSince1970))
        Trace.mark("apply: outcome recorded")
        return (revision, report)
    }
}
