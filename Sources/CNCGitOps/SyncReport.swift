import CNCCore

/// What one sync cycle did to one app (a line of `cncapply sync` output, an entry of `/status`).
public struct SyncAppReport: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// Running what the commit says; nothing to do.
        case inSync = "in-sync"
        /// A new commit's spec applied (a revision recorded).
        case applied
        /// Drift at an unchanged commit, converged back (`--self-heal`).
        case healed
        /// Drift at an unchanged commit, reported only (no `--self-heal`).
        case drift
        /// The apply failed and went back to the last good revision; pinned to its commit.
        case rolledBack = "rolled-back"
        /// Still pinned after a rollback: this commit is not tried again.
        case pinned
        /// The apply failed with nothing to go back to.
        case failed
        /// The commit's spec does not compile; nothing changed.
        case specError = "spec-error"
        /// Gone from the repository, still running (no `--prune`).
        case orphaned
        /// Gone from the repository and removed (`--prune`).
        case pruned

        /// A failure for the exit status of `--once` and for notifications.
        public var isFailure: Bool { [.rolledBack, .pinned, .failed, .specError].contains(self) }
    }

    public var name: String
    /// The app's path in the repository (empty for an orphan).
    public var path: String
    public var outcome: Outcome
    /// The commit the app runs (for rolled-back and pinned: the last good commit, if known).
    public var commit: String?
    /// The revision recorded this cycle, if any.
    public var revision: Int?
    /// One line on what happened (the failure, the rollback).
    public var message: String?
    /// Spec errors, `path/in/repo.yaml:line:col: message`.
    public var errors: [String]
    /// What drifted at an unchanged commit, as `cncapply status` reports it (`AppEngine.drift`'s
    /// items: changed, stopped, removed, image-retagged, spec-edited; expected vs found).
    public var drift: [DriftItem]
    /// How long the apply took, when one ran.
    public var applySeconds: Double?

    public init(name: String, path: String, outcome: Outcome, commit: String? = nil, revision: Int? = nil, message: String? = nil,
                errors: [String] = [], drift: [DriftItem] = [], applySeconds: Double? = nil) {
        self.name = name
        self.path = path
        self.outcome = outcome
        self.commit = commit
        self.revision = revision
        self.message = message
        self.errors = errors
        self.drift = drift
        self.applySeconds = applySeconds
    }
}

/// One sync cycle: the JSON object `cncapply sync -o json` prints per cycle, and `/status`'s `lastCycle`.
public struct SyncCycleReport: Sendable, Codable, Equatable {
    public var version = 1
    /// RFC 3339, UTC.
    public var time: String
    public var repo: String
    public var branch: String
    /// The branch's head this cycle (nil when the fetch failed).
    public var commit: String?
    /// What started the cycle: start, timer, webhook.
    public var trigger: String
    /// `synced` when no app failed, else `failed`.
    public var outcome: String
    public var apps: [SyncAppReport]
    /// Problems of the cycle as a whole (a fetch that failed, apps that clash).
    public var problems: [String]
    public var durationMilliseconds: Int64
    /// CPU time of this process (user + system) and its children during the cycle.
    public var cpuMilliseconds: Int64

    public init(time: String, repo: String, branch: String, commit: String?, trigger: String, apps: [SyncAppReport],
                problems: [String], durationMilliseconds: Int64, cpuMilliseconds: Int64) {
        self.time = time
        self.repo = repo
        self.branch = branch
        self.commit = commit
        self.trigger = trigger
        self.apps = apps
        self.problems = problems
        self.outcome = problems.isEmpty && !apps.contains { $0.outcome.isFailure } ? "synced" : "failed"
        self.durationMilliseconds = durationMilliseconds
        self.cpuMilliseconds = cpuMilliseconds
    }

    public var driftCount: Int { apps.reduce(0) { $0 + $1.drift.count } }
}

/// `/status`: the agent and its last cycle.
public struct SyncStatus: Sendable, Codable, Equatable {
    public var version = 1
    public var repo: String
    public var branch: String
    public var path: String
    public var selfHeal: Bool
    public var prune: Bool
    public var intervalSeconds: Double
    /// The webhook's path (`/hooks/git`), when `--webhook` is on.
    public var webhook: String?
    public var cycles: Int
    public var lastCycle: SyncCycleReport?

    public init(repo: String, branch: String, path: String, selfHeal: Bool, prune: Bool, intervalSeconds: Double, webhook: String?) {
        self.repo = repo
        self.branch = branch
        self.path = path
        self.selfHeal = selfHeal
        self.prune = prune
        self.intervalSeconds = intervalSeconds
        self.webhook = webhook
        self.cycles = 0
    }
}
