import CNCCore
import enum CNCMonitorCore.RFC3339
import enum CNCMonitorCore.EventLog
import CNCSystem
import Foundation

/// A named volume as docker's local driver keeps one: its data in `<root>/volumes/<name>/_data`
/// and what `volume inspect` shows in `<root>/volumes/<name>/volume.json`. `cnc run -v NAME:/p`,
/// `cnc volume create` and cncapply's app volumes (`<project>_<name>`, with Compose's project
/// and volume labels) all live here, so each tool sees the others' volumes.
public struct Volume: Codable, Sendable, Equatable {
    public var name: String
    public var driver = "local"
    public var labels: [String: String] = [:]
    public var options: [String: String] = [:]
    /// Creation time, nanoseconds since the epoch.
    public var created: Int64 = 0

    public init(name: String, labels: [String: String] = [:], options: [String: String] = [:], created: Int64 = 0) {
        self.name = name; self.labels = labels; self.options = options; self.created = created
    }

    /// Docker's label on volumes made for a container without a name (`-v /data`, an image's
    /// VOLUME): `volume prune` removes only these unless `--all`.
    public static let anonymousLabel = "com.docker.volume.anonymous"
    /// Compose's labels on an app's volumes.
    public static let projectLabel = "com.docker.compose.project"
    public static let volumeLabel = "com.docker.compose.volume"

    public var isAnonymous: Bool { labels[Self.anonymousLabel] != nil }

    /// Docker's CreatedAt: RFC 3339 in UTC, whole seconds.
    public var createdAt: String { String(RFC3339.format(nanos: max(0, created)).prefix(19)) + "Z" }
}

public struct VolumeStore: Sendable {
    public let directory: String
    /// The root's event log: a volume made or removed here is docker's volume create/destroy
    /// event, whoever asked (`cnc volume`, `run -v NAME:`, an app's apply and down, prune).
    let eventLog: String?
    static let metadataFile = "volume.json"

    public init(directory: String, eventLog: String? = nil) {
        self.directory = directory
        self.eventLog = eventLog
    }

    func recordEvent(_ action: String, _ name: String, driver: String = "local") {
        guard let eventLog else { return }
        EventLog.append(eventLog, type: "volume", action: action, id: name, attributes: [("driver", driver)])
    }

    /// Where the volume's data is (what containers mount).
    public func dataPath(_ name: String) -> String { directory + "/" + name + "/_data" }

    /// Docker's rule for local volume names (two characters at least): a name is a path
    /// component here, so nothing else may pass.
    public static func validate(_ name: String) throws {
        let u = Array(name.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        guard let first = u.first, alnum(first), u.allSatisfy({ alnum($0) || $0 == 95 || $0 == 46 || $0 == 45 }) else {
            throw CNCError(.invalidArgument, "create \(name): \"\(name)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
        }
        guard u.count >= 2 else {
            throw CNCError(.invalidArgument, "create \(name): volume name is too short, names should be at least two alphanumeric characters")
        }
    }

    /// Makes the volume unless it exists (then it is returned as it is, as docker's `volume
    /// create` of an existing name does). `name` nil: a random 64-hex name.
    @discardableResult
    public func create(_ name: String?, labels: [String: String] = [:], options: [String: String] = [:]) throws -> Volume {
        let name = name ?? ContainerID.random().rawValue
        try Self.validate(name)
        if let existing = try? volume(name) { return existing }
        let v = Volume(name: name, labels: labels, options: options, created: Int64(Date().timeIntervalSince1970 * 1e9))
        try FileSystem.createDirectory(dataPath(name), mode: 0o755)
        try FileSystem.writeAtomically(Array(try JSONEncoder().encode(v)), to: directory + "/" + name + "/" + Self.metadataFile)
        recordEvent("create", name, driver: v.driver)
        return v
    }

    /// The volume a container mounts: made (with its metadata) the first time it is named, as
    /// `docker run -v NAME:/path` does. Cheap when it exists: one mkdir that fails with EEXIST.
    public func ensure(_ name: String, anonymous: Bool) throws {
        let data = dataPath(name)
        if FileSystem.isDirectory(data) { return }
        if !anonymous { try Self.validate(name) }
        try FileSystem.createDirectory(data, mode: 0o755)
        let v = Volume(name: name, labels: anonymous ? [Volume.anonymousLabel: ""] : [:], created: Int64(Date().timeIntervalSince1970 * 1e9))
        try FileSystem.writeReplacing(Array(try JSONEncoder().encode(v)), to: directory + "/" + name + "/" + Self.metadataFile)
        recordEvent("create", name, driver: v.driver)
    }

    /// The volume named `name`; one without metadata (made before volumes had any) is shown
    /// with its directory's time and no labels.
    public func volume(_ name: String) throws -> Volume {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", FileSystem.isDirectory(dataPath(name)) else {
            throw CNCError(.notFound, "get \(name): no such volume")
        }
        let meta = directory + "/" + name + "/" + Self.metadataFile
        if let bytes = try? FileSystem.readBytes(meta), let v = try? JSONDecoder().decode(Volume.self, from: Data(bytes)) { return v }
        return Volume(name: name, created: Int64(FileSystem.modificationTime(directory + "/" + name) ?? 0) * 1_000_000_000)
    }

    public func list() -> [Volume] {
        guard let names = try? FileSystem.listDirectory(directory) else { return [] }
        return names.compactMap { try? volume($0) }
    }

    /// Removes the volume and its data (the caller checked that no container uses it).
    public func remove(_ name: String) throws {
        let v = try volume(name)
        try FileSystem.removeTree(directory + "/" + name)
        recordEvent("destroy", name, driver: v.driver)
    }

    /// Volume name -> the containers that mount it (any state), as docker counts "in use".
    public static func users(_ containers: [Container]) -> [String: [ContainerID]] {
        var users: [String: [ContainerID]] = [:]
        for c in containers {
            for m in c.config.mounts where m.type == .volume && !m.source.isEmpty { users[m.source, default: []].append(c.config.id) }
        }
        return users
    }
}

extension Runtime {
    /// This root's named volumes.
    public var volumes: VolumeStore { VolumeStore(directory: store.volumesDir, eventLog: eventLogPath) }
}
