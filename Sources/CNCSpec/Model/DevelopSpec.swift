/// A service's Compose `develop:` section: the rules `cncapply watch` (and `apply --watch`)
/// follow when files under their paths change. Never part of the config hash: editing it
/// recreates nothing.
public struct DevelopSpec: Codable, Hashable, Sendable {
    public var watch: [WatchRule] = []
    public init(watch: [WatchRule] = []) { self.watch = watch }
}

/// One `develop.watch` item.
public struct WatchRule: Codable, Hashable, Sendable {
    /// Compose's watch actions.
    public enum Action: String, Codable, Hashable, Sendable, CaseIterable {
        case rebuild, sync, restart
        case syncRestart = "sync+restart"
        case syncExec = "sync+exec"

        /// Copies changed files into the containers.
        public var syncs: Bool { self == .sync || self == .syncRestart || self == .syncExec }
    }

    public var action: Action
    /// Absolute host path (a directory, watched recursively, or a file).
    public var path: String
    /// Absolute container path the files under `path` go to (sync actions).
    public var target: String?
    /// .dockerignore patterns, relative to `path`.
    public var ignore: [String] = []
    /// .dockerignore patterns, relative to `path`: when given, only matching files count.
    public var include: [String] = []
    /// Sync every file under `path` once when watching starts.
    public var initialSync: Bool = false
    /// What `sync+exec` runs in each container after the sync.
    public var exec: WatchExec?

    public init(action: Action, path: String) {
        self.action = action
        self.path = path
    }

    enum CodingKeys: String, CodingKey {
        case action, path, target, ignore, include, exec
        case initialSync = "initial_sync"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decode(Action.self, forKey: .action)
        path = try c.decode(String.self, forKey: .path)
        target = try c.decodeIfPresent(String.self, forKey: .target)
        ignore = try c.decodeIfPresent([String].self, forKey: .ignore) ?? []
        include = try c.decodeIfPresent([String].self, forKey: .include) ?? []
        initialSync = try c.decodeIfPresent(Bool.self, forKey: .initialSync) ?? false
        exec = try c.decodeIfPresent(WatchExec.self, forKey: .exec)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(action, forKey: .action)
        try c.encode(path, forKey: .path)
        try c.encodeIfPresent(target, forKey: .target)
        if !ignore.isEmpty { try c.encode(ignore, forKey: .ignore) }
        if !include.isEmpty { try c.encode(include, forKey: .include) }
        if initialSync { try c.encode(initialSync, forKey: .initialSync) }
        try c.encodeIfPresent(exec, forKey: .exec)
    }
}

/// Compose's `service_hook`, as `sync+exec` uses it: run like `cnc exec` in each container.
public struct WatchExec: Codable, Hashable, Sendable {
    public var command: [String]
    public var user: String?
    public var privileged: Bool?
    public var workingDir: String?
    public var environment: [String: String] = [:]

    public init(command: [String]) { self.command = command }

    enum CodingKeys: String, CodingKey {
        case command, user, privileged, environment
        case workingDir = "working_dir"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        command = try c.decode([String].self, forKey: .command)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        privileged = try c.decodeIfPresent(Bool.self, forKey: .privileged)
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
        environment = try c.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(command, forKey: .command)
        try c.encodeIfPresent(user, forKey: .user)
        try c.encodeIfPresent(privileged, forKey: .privileged)
        try c.encodeIfPresent(workingDir, forKey: .workingDir)
        if !environment.isEmpty { try c.encode(environment, forKey: .environment) }
    }
}
