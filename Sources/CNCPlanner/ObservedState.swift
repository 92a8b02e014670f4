import CNCCore

/// What exists now: the state DB's records joined with what the runtime reports.
public struct ObservedApp: Sendable, Codable, Equatable {
    public var containers: [ObservedContainer]
    public var networks: [ObservedResource]
    public var volumes: [ObservedResource]
    /// Replicas per service as the last applied revision left them (from the state DB), so a
    /// container removed behind cnc's back is told apart from a new one.
    public var appliedReplicas: [String: Int]

    public init(containers: [ObservedContainer] = [], networks: [ObservedResource] = [], volumes: [ObservedResource] = [],
                appliedReplicas: [String: Int] = [:]) {
        self.containers = containers
        self.networks = networks
        self.volumes = volumes
        self.appliedReplicas = appliedReplicas
    }

    /// A stable fingerprint of what a plan depends on (each container's identity, state and
    /// config, the networks and volumes): a saved plan refuses to run when it changed.
    public var fingerprint: String {
        let cs: [JSONValue] = containers.map { c in
            .array([.string(c.id), .string(c.name), .string(c.service), .int(Int64(c.replica)), .string(c.status.rawValue),
                    c.exitCode.map { .int(Int64($0)) } ?? .null, .string(c.health.rawValue), .string(c.configHash),
                    .string(c.imageDigest?.description ?? ""), .string(c.liveLimits.fingerprint)])
        }
        let resources: ([ObservedResource]) -> JSONValue = { .array($0.map { .array([.string($0.name), .string($0.configHash)]) }) }
        let replicas = JSONValue.object(appliedReplicas.mapValues { .int(Int64($0)) })
        return ConfigHash.of(value: .array([.array(cs), resources(networks), resources(volumes), replicas]))
    }
}

/// One container of the app as it is.
public struct ObservedContainer: Sendable, Codable, Equatable {
    public typealias Status = ContainerStatus
    public enum Health: String, Sendable, Codable { case none, starting, healthy, unhealthy }

    public var id: String
    public var name: String
    public var service: String
    public var replica: Int
    public var status: Status
    public var exitCode: Int32?
    public var health: Health
    /// The config hash the container was created with (its label).
    public var configHash: String
    public var sectionHashes: [String: String]
    /// The sections it was created from (from the revision that created it), to name causes exactly.
    public var appliedSections: [String: JSONValue]?
    public var imageDigest: Digest?
    public var image: String?
    /// Limits as the runtime reports them now.
    public var liveLimits: CgroupLimits

    public init(
        id: String, name: String, service: String, replica: Int = 1, status: Status = .running, exitCode: Int32? = nil,
        health: Health = .none, configHash: String, sectionHashes: [String: String] = [:],
        appliedSections: [String: JSONValue]? = nil, imageDigest: Digest? = nil, image: String? = nil,
        liveLimits: CgroupLimits = CgroupLimits()
    ) {
        self.id = id
        self.name = name
        self.service = service
        self.replica = replica
        self.status = status
        self.exitCode = exitCode
        self.health = health
        self.configHash = configHash
        self.sectionHashes = sectionHashes
        self.appliedSections = appliedSections
        self.imageDigest = imageDigest
        self.image = image
        self.liveLimits = liveLimits.live
    }

    /// A container observed from a desired service as it was applied (used by tests and by
    /// the engine when it records what it created).
    public static func from(_ s: DesiredService, project: String, replica: Int = 1, id: String, status: Status = .running) -> ObservedContainer {
        ObservedContainer(
            id: id, name: s.containerName(project: project, replica: replica), service: s.name, replica: replica,
            status: status, configHash: s.configHash, sectionHashes: s.sectionHashes, appliedSections: s.sections,
            imageDigest: s.imageDigest, image: s.image, liveLimits: s.liveLimits)
    }
}

/// A network or volume that exists, with the hash of the config it was created with.
public struct ObservedResource: Sendable, Codable, Equatable {
    public var name: String
    public var configHash: String
    public init(name: String, configHash: String) {
        self.name = name
        self.configHash = configHash
    }
}
