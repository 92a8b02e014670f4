import CNCCore

/// A whole app as the spec describes it, NORMALIZED: defaults filled, short syntax expanded,
/// variables interpolated, relative paths made absolute. Its canonical JSON is byte-stable and
/// is what config hashes are computed from; `cncapply config` prints it.
public struct AppSpec: Codable, Hashable, Sendable {
    /// The project name (Compose's rules: `^[a-z0-9][a-z0-9_-]*$`).
    public var name: String
    public var services: [String: ServiceSpec]
    public var networks: [String: NetworkSpec]
    public var volumes: [String: VolumeSpec]
    public var configs: [String: ConfigSpec]
    public var secrets: [String: SecretSpec]
    public var cnc: CNCSettings
    /// Encrypted secret files, decrypted: absolute path -> clear content and keyed digest.
    /// Never encoded, so never part of a stored revision.
    public var sealedFiles: [String: SealedFile] = [:]

    public init(name: String, services: [String: ServiceSpec] = [:], networks: [String: NetworkSpec] = [:],
                volumes: [String: VolumeSpec] = [:], configs: [String: ConfigSpec] = [:],
                secrets: [String: SecretSpec] = [:], cnc: CNCSettings = CNCSettings()) {
        self.name = name
        self.services = services
        self.networks = networks
        self.volumes = volumes
        self.configs = configs
        self.secrets = secrets
        self.cnc = cnc
    }

    enum CodingKeys: String, CodingKey {
        case name, services, networks, volumes, configs, secrets
        case cnc = "x-cnc"
    }

    /// The canonical JSON tree of the whole normalized spec.
    public func jsonValue() throws -> JSONValue { try SpecJSON.tree(self) }

    /// The canonical JSON tree of one network (volume): the same value as its entry under
    /// `networks` (`volumes`) in `jsonValue()`, without encoding the rest of the app.
    public func networkJSON(_ key: String) throws -> JSONValue { try networks[key].map(SpecJSON.tree) ?? .null }
    public func volumeJSON(_ key: String) throws -> JSONValue { try volumes[key].map(SpecJSON.tree) ?? .null }

    /// Services in a start order that respects depends_on (dependencies first, ties by name).
    /// Only meaningful for a validated spec (no cycles); leftovers of a cycle come last by name.
    public var startOrder: [String] {
        var done: Set<String> = []
        var order: [String] = []
        var remaining = services.keys.sorted()
        while !remaining.isEmpty {
            let ready = remaining.filter { name in
                (services[name]?.dependsOn.keys ?? [:].keys).allSatisfy { done.contains($0) || services[$0] == nil }
            }
            let next = ready.isEmpty ? remaining : ready
            for n in next { done.insert(n); order.append(n) }
            remaining.removeAll { done.contains($0) }
        }
        return order
    }
}

/// Top-level `x-cnc:` settings.
public struct CNCSettings: Codable, Hashable, Sendable {
    /// Which cgroup driver to use for this app's containers.
    public var cgroupDriver: CgroupDriverSetting = .auto
    /// How many applied revisions to keep for rollback.
    public var revisionHistory: Int = 10
    /// `userns: auto` (any `--userns` mode): every service's user namespace unless it says
    /// `userns_mode` itself. Folded into the services when the spec is read.
    public var userns: String?

    public init(cgroupDriver: CgroupDriverSetting = .auto, revisionHistory: Int = 10) {
        self.cgroupDriver = cgroupDriver
        self.revisionHistory = revisionHistory
    }

    enum CodingKeys: String, CodingKey {
        case cgroupDriver = "cgroup_driver"
        case revisionHistory = "revision_history"
        case userns
    }
}

public enum CgroupDriverSetting: String, Codable, Hashable, Sendable, CaseIterable {
    case auto, cgroupfs, systemd
}

/// A top-level network.
public struct NetworkSpec: Codable, Hashable, Sendable {
    /// The name on the host: `<project>_<key>` unless `name:` or `external` says otherwise.
    public var name: String
    public var driver: NetworkDriver = .bridge
    public var driverOpts: [String: String] = [:]
    public var ipam: IPAMSpec?
    public var `internal`: Bool = false
    public var external: Bool = false
    public var labels: [String: String] = [:]

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey {
        case name, driver, ipam, `internal`, external, labels
        case driverOpts = "driver_opts"
    }
}

public enum NetworkDriver: String, Codable, Hashable, Sendable, CaseIterable {
    case bridge, macvlan, ipvlan, host, none
}

public struct IPAMSpec: Codable, Hashable, Sendable {
    public var driver: String = "default"
    public var config: [IPAMPool] = []
    public init() {}
}

public struct IPAMPool: Codable, Hashable, Sendable {
    public var subnet: String?
    public var gateway: String?
    public var ipRange: String?
    public init() {}
    enum CodingKeys: String, CodingKey {
        case subnet, gateway
        case ipRange = "ip_range"
    }
}

/// A top-level named volume.
public struct VolumeSpec: Codable, Hashable, Sendable {
    public var name: String
    public var driver: VolumeDriver = .local
    public var driverOpts: [String: String] = [:]
    public var external: Bool = false
    public var labels: [String: String] = [:]

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey {
        case name, driver, external, labels
        case driverOpts = "driver_opts"
    }
}

public enum VolumeDriver: String, Codable, Hashable, Sendable, CaseIterable { case local }

/// A top-level config: a file (absolute path) or an environment variable's value.
public struct ConfigSpec: Codable, Hashable, Sendable {
    public var name: String
    public var file: String?
    public var environment: String?
    public var content: String?
    public var external: Bool = false

    public init(name: String) { self.name = name }
}

/// A top-level secret: a file (absolute path) or an environment variable's value.
public typealias SecretSpec = ConfigSpec

/// An encrypted file's clear content (in memory only) and the keyed digest that stands for it.
public struct SealedFile: Hashable, Sendable {
    public var content: [UInt8]
    public var digest: String
    /// The file as the user named it (for causes and errors).
    public var shown: String

    public init(content: [UInt8], digest: String, shown: String) {
        self.content = content
        self.digest = digest
        self.shown = shown
    }
}

/// A secret a service mounts (`/run/secrets/NAME`): content, owner and mode, read-only.
public struct MountedSecret: Hashable, Sendable {
    public var target: String
    public var content: [UInt8]
    public var uid: UInt32
    public var gid: UInt32
    public var mode: UInt32

    public init(target: String, content: [UInt8], uid: UInt32 = 0, gid: UInt32 = 0, mode: UInt32 = 0o444) {
        self.target = target
        self.content = content
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}
