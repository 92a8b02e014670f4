import CNCCore

/// One applied revision of an app: what was asked, what images it resolved to, how it ended.
public struct RevisionRecord: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        case pending, succeeded, failed
        case rolledBack = "rolled-back"
    }
    public var project: String
    public var number: Int
    /// The normalized spec (canonical JSON or YAML text) that was applied.
    public var spec: String
    /// image reference as written -> the digest it resolved to.
    public var images: [String: String]
    /// service -> config hash.
    public var configHashes: [String: String]
    /// service -> replicas.
    public var replicas: [String: Int]
    public var author: String
    /// Unix seconds.
    public var createdAt: Int64
    public var outcome: Outcome
    /// "apply", "rollback to 3", "auto-rollback after web failed health".
    public var reason: String
    /// Absolute path -> `sha256:...` of each file the spec was read from when it was applied
    /// (spec files and their includes, .env, env files); empty for a rollback (schema 2).
    public var files: [String: String]
    /// Where the spec came from, when `cncapply sync` applied it from git (schema version 3).
    public var origin: RevisionOrigin?

    public init(project: String, number: Int = 0, spec: String, images: [String: String], configHashes: [String: String],
                replicas: [String: Int], author: String, createdAt: Int64, outcome: Outcome = .pending, reason: String = "apply",
                files: [String: String] = [:], origin: RevisionOrigin? = nil) {
        self.project = project
        self.number = number
        self.spec = spec
        self.images = images
        self.configHashes = configHashes
        self.replicas = replicas
        self.author = author
        self.createdAt = createdAt
        self.outcome = outcome
        self.reason = reason
        self.files = files
        self.origin = origin
    }
}

/// The git commit a revision's spec was read from: repository, branch, commit and the app's
/// path inside the repository.
public struct RevisionOrigin: Sendable, Codable, Equatable {
    public var repo: String
    public var branch: String
    public var commit: String
    public var path: String

    public init(repo: String, branch: String, commit: String, path: String) {
        self.repo = repo
        self.branch = branch
        self.commit = commit
        self.path = path
    }

    /// The commit's short form, as `git log --oneline` shows it.
    public var shortCommit: String { String(commit.prefix(7)) }
}

/// A container the engine created for an app, with what it was created from.
public struct ContainerRecord: Sendable, Codable, Equatable {
    public var id: String
    public var project: String
    public var service: String
    public var replica: Int
    public var name: String
    public var configHash: String
    /// Canonical JSON of section -> hash.
    public var sectionHashes: [String: String]
    /// Canonical JSON of the sections it was created from.
    public var appliedSections: [String: JSONValue]
    public var image: String
    public var imageDigest: String?
    public var revision: Int
    public var createdAt: Int64

    public init(id: String, project: String, service: String, replica: Int, name: String, configHash: String,
                sectionHashes: [String: String], appliedSections: [String: JSONValue], image: String, imageDigest: String?,
                revision: Int, createdAt: Int64) {
        self.id = id
        self.project = project
        self.service = service
        self.replica = replica
        self.name = name
        self.configHash = configHash
        self.sectionHashes = sectionHashes
        self.appliedSections = appliedSections
        self.image = image
        self.imageDigest = imageDigest
        self.revision = revision
        self.createdAt = createdAt
    }
}

/// Something that happened to an app, for `cncapply status` and debugging.
public struct EventRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var project: String
    public var time: Int64
    public var kind: String
    public var message: String
}
