import CNCCore
import CNCSpec

/// What the spec asks for, in the planner's terms: the engine builds it from the compiled
/// AppSpec and the resolved image digests. Pure data, so plans are golden-testable.
public struct DesiredApp: Sendable, Codable, Equatable {
    public var project: String
    public var services: [DesiredService]
    public var networks: [DesiredNetwork]
    public var volumes: [DesiredVolume]

    public init(project: String, services: [DesiredService], networks: [DesiredNetwork] = [], volumes: [DesiredVolume] = []) {
        self.project = project
        self.services = services
        self.networks = networks
        self.volumes = volumes
    }
}

/// One service of the spec.
public struct DesiredService: Sendable, Codable, Equatable {
    public var name: String
    public var replicas: Int
    /// The image as the spec names it (`web:stable`) and the digest it resolved to.
    public var image: String
    public var imageDigest: Digest? { didSet { rehash() } }
    /// The normalized service by section (`environment`, `ports`, `command`, `files`...),
    /// leaving out what must not recreate: replicas/scale, build, depends_on, profiles and the
    /// limits in `liveLimits`. The config hash is over these.
    public var sections: [String: JSONValue] { didSet { rehash() } }
    /// Limits the cgroup driver changes on a running container: updated in place.
    public var liveLimits: CgroupLimits
    public var dependsOn: [Dependency]
    public var networks: [String]
    public var volumes: [String]
    public var update: UpdatePolicy
    /// A fixed container_name (then replicas must be 1).
    public var containerName: String?
    /// The compiled service the backend makes a container from. Not hashed (the sections are
    /// what names a config); nil in plans built by hand, which no backend can create from.
    public var spec: ServiceSpec?
    /// The image comes from the service's `build:` (the cause of a new digest says "rebuilt").
    /// Not hashed: the image digest is.
    public var built: Bool?
    /// What changed in the build's inputs since the image the containers run was built, when
    /// known (`server.c`, `Dockerfile`); named in the cause. Not hashed.
    public var buildChanges: [String]?
    /// The host names of the named volumes it mounts whose name is not `<project>_<key>`
    /// (`name:`, `external: true`), by key; nil when there are none. Not hashed.
    public var volumeSources: [String: String]?

    public init(
        name: String, replicas: Int = 1, image: String, imageDigest: Digest? = nil, sections: [String: JSONValue] = [:],
        liveLimits: CgroupLimits = CgroupLimits(), dependsOn: [Dependency] = [], networks: [String] = [], volumes: [String] = [],
        update: UpdatePolicy = UpdatePolicy(), containerName: String? = nil, spec: ServiceSpec? = nil
    ) {
        self.name = name
        self.replicas = replicas
        self.image = image
        self.imageDigest = imageDigest
        self.sections = sections
        self.liveLimits = liveLimits.live
        self.dependsOn = dependsOn
        self.networks = networks
        self.volumes = volumes
        self.update = update
        self.containerName = containerName
        self.spec = spec
        rehash()
    }

    /// The hash that names this service's configuration: sha256 over the canonical JSON of the
    /// sections and the image digest. Kept up to date as they change (planning reads it often).
    public private(set) var configHash = ""

    /// One hash per section, stored on each container so a cause can always be named.
    /// Computed when asked (a create, a changed container's cause), not with the config hash:
    /// an apply that changes nothing never needs them.
    public var sectionHashes: [String: String] { ConfigHash.perSection(sections) }

    private mutating func rehash() {
        configHash = ConfigHash.of(sections: sections, imageDigest: imageDigest)
    }

    /// `<project>-<service>-<n>` like Compose, or the fixed container_name.
    public func containerName(project: String, replica: Int) -> String {
        containerName ?? "\(project)-\(name)-\(replica)"
    }
}

/// cgroup limits that can change on a running container.
/// The planner's view of the limits cgroups change in place (CgroupLimits.live): what it
/// compares, fingerprints and names in causes.
extension CgroupLimits {
    /// The CPU quota as Docker's `cpus` (quota / period).
    public var cpus: CPUQuantity? {
        guard let q = cpuQuota, q > 0 else { return nil }
        return CPUQuantity(nanoCPUs: q * 1_000_000_000 / max(cpuPeriod ?? Self.defaultCPUPeriod, 1))
    }

    /// A short stable text of the live limits, for fingerprints.
    var fingerprint: String {
        let l = live
        return [l.cpuQuota, l.cpuPeriod, l.cpuShares, l.memory, l.memoryReservation, l.pids]
            .map { $0.map(String.init) ?? "-" }.joined(separator: ",")
    }

    /// "cpus 0.5 -> 1, memory 256MiB -> 512MiB" (only what differs in the live limits).
    func changes(from old: CgroupLimits) -> [String] {
        limitChanges(from: old).map { "\($0.name) \($0.old) -> \($0.new)" }
    }

    /// What differs in the live limits, one entry per limit: (name, `old`'s value, this one's).
    public func limitChanges(from old: CgroupLimits) -> [(name: String, old: String, new: String)] {
        let (a, b) = (old.live, live)
        var out: [(name: String, old: String, new: String)] = []
        func add<T: Equatable & CustomStringConvertible>(_ name: String, _ x: T?, _ y: T?, unset: String = "unlimited") {
            if x != y { out.append((name, x?.description ?? unset, y?.description ?? unset)) }
        }
        add("cpus", a.cpus, b.cpus)
        if a.cpus == b.cpus, a.cpuQuota != nil { add("cpu_period", a.cpuPeriod, b.cpuPeriod) }
        add("cpu_shares", a.cpuShares, b.cpuShares, unset: "default")
        add("memory", a.memory.map(ByteSize.init(bytes:)), b.memory.map(ByteSize.init(bytes:)))
        add("memory_reservation", a.memoryReservation.map(ByteSize.init(bytes:)), b.memoryReservation.map(ByteSize.init(bytes:)))
        add("pids", a.pids, b.pids)
        return out
    }
}

/// depends_on with its condition.
public struct Dependency: Sendable, Codable, Equatable {
    public enum Condition: String, Sendable, Codable {
        case started = "service_started"
        case healthy = "service_healthy"
        case completedSuccessfully = "service_completed_successfully"
    }
    public var service: String
    public var condition: Condition
    /// Restart this service when the dependency is replaced (Compose's `restart: true`).
    public var restart: Bool

    public init(service: String, condition: Condition = .started, restart: Bool = false) {
        self.service = service
        self.condition = condition
        self.restart = restart
    }
}

/// deploy.update_config: how replacements roll.
public struct UpdatePolicy: Sendable, Codable, Equatable {
    public enum Order: String, Sendable, Codable { case stopFirst = "stop-first", startFirst = "start-first" }
    public enum FailureAction: String, Sendable, Codable { case pause, `continue`, rollback }
    public var order: Order
    public var parallelism: Int
    public var delay: CNCDuration
    public var failureAction: FailureAction
    public var monitor: CNCDuration
    /// How long a new container may take to become healthy (x-cnc.health_gate_timeout); nil:
    /// the executor's default.
    public var gateTimeout: CNCDuration?

    public init(order: Order = .stopFirst, parallelism: Int = 1, delay: CNCDuration = .zero, failureAction: FailureAction = .pause,
                monitor: CNCDuration = .zero, gateTimeout: CNCDuration? = nil) {
        self.order = order
        self.parallelism = parallelism
        self.delay = delay
        self.failureAction = failureAction
        self.monitor = monitor
        self.gateTimeout = gateTimeout
    }
}

/// A network or volume the spec declares: its name, its normalized config (driver, ipam,
/// internal, driver_opts, labels for networks; driver, driver_opts, labels for volumes), which
/// the config hash is over, and the typed spec the backend creates it from.
public struct DesiredResource<Spec: Sendable & Codable & Equatable>: Sendable, Codable, Equatable {
    public var name: String
    public var config: JSONValue
    /// Made outside the app (`external: true`): never created or removed by it.
    public var external: Bool
    /// The compiled network or volume; nil in plans built by hand (the backend's defaults).
    public var spec: Spec?
    public init(name: String, config: JSONValue = .object([:]), external: Bool = false, spec: Spec? = nil) {
        self.name = name
        self.config = config
        self.external = external
        self.spec = spec
    }
    public var configHash: String { ConfigHash.of(value: config) }
}

public typealias DesiredNetwork = DesiredResource<NetworkSpec>
public typealias DesiredVolume = DesiredResource<VolumeSpec>
