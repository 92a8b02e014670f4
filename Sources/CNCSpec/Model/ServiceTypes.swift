import CNCCore

/// A published or exposed port, long syntax.
public struct PortSpec: Codable, Hashable, Sendable {
    public var target: Int
    /// Host port or host port range; nil publishes on a port the host picks.
    public var published: PortRange?
    public var hostIP: String?
    public var `protocol`: PortProtocol = .tcp
    public var name: String?
    public var appProtocol: String?
    /// `mode: host` (a swarm publishes on each task's node, not through its routing mesh);
    /// nil is ingress, the default, left out of the canonical JSON.
    public var mode: PortMode?

    public init(target: Int) { self.target = target }

    enum CodingKeys: String, CodingKey {
        case target, published, `protocol`, name, mode
        case hostIP = "host_ip"
        case appProtocol = "app_protocol"
    }
}


public enum PortMode: String, Codable, Hashable, Sendable, CaseIterable { case host }

/// `8080` or `8000-8010`; encoded as that string.
public struct PortRange: Codable, Hashable, Sendable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(_ start: Int, _ end: Int? = nil) {
        self.start = start
        self.end = end ?? start
    }

    public var count: Int { end - start + 1 }
    public var description: String { start == end ? "\(start)" : "\(start)-\(end)" }
    public func overlaps(_ o: PortRange) -> Bool { start <= o.end && o.start <= end }

    /// `80` or `8000-8010`, each in 0...65535, start <= end.
    public init?(parsing s: String) {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        var values: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 5, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(p), v <= 65535 else { return nil }
            values.append(v)
        }
        guard let first = values.first, let last = values.last, first <= last else { return nil }
        self.init(first, last)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s: String
        if let i = try? c.decode(Int.self) { s = String(i) } else { s = try c.decode(String.self) }
        guard let r = PortRange(parsing: s) else { throw CNCError(.invalidArgument, "\"\(s)\" is not a port or port range") }
        self = r
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A service's attachment to one network.
public struct ServiceNetworkSpec: Codable, Hashable, Sendable {
    public var aliases: [String] = []
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var priority: Int = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case aliases, priority
        case ipv4Address = "ipv4_address"
        case ipv6Address = "ipv6_address"
    }
}

/// A mount, long syntax.
public struct ServiceVolumeSpec: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable { case bind, volume, tmpfs }
    public enum Propagation: String, Codable, Hashable, Sendable, CaseIterable {
        case `private`, rprivate, shared, rshared, slave, rslave
    }

    public struct BindOptions: Codable, Hashable, Sendable {
        public var createHostPath: Bool = true
        public var propagation: Propagation?
        public var selinux: String?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case propagation, selinux
            case createHostPath = "create_host_path"
        }
    }

    public struct VolumeOptions: Codable, Hashable, Sendable {
        public var nocopy: Bool = false
        public var subpath: String?
        public init() {}
    }

    /// `x-cnc:` of a bind or volume (no Compose key exists): podman's `U` and `idmap`, also
    /// written as the short syntax's `:U` / `:idmap` suffixes.
    public struct CNCOptions: Codable, Hashable, Sendable {
        /// `U`: the source is chowned to the container's user (through its id maps).
        public var chown: Bool?
        /// `idmap`: the source's owners are mapped into the container's user namespace.
        public var idmap: Bool?
        public init(chown: Bool? = nil, idmap: Bool? = nil) { self.chown = chown; self.idmap = idmap }
    }

    public struct TmpfsOptions: Codable, Hashable, Sendable {
        public var size: ByteSize?
        public var mode: Int?
        public init() {}
    }

    public var type: Kind
    /// Bind: absolute host path. Volume: the key of a top-level volume (nil: anonymous).
    public var source: String?
    public var target: String
    public var readOnly: Bool = false
    public var bind: BindOptions?
    public var volume: VolumeOptions?
    public var tmpfs: TmpfsOptions?
    public var cnc: CNCOptions?

    public init(type: Kind, source: String?, target: String) {
        self.type = type
        self.source = source
        self.target = target
    }

    enum CodingKeys: String, CodingKey {
        case type, source, target, bind, volume, tmpfs
        case readOnly = "read_only"
        case cnc = "x-cnc"
    }
}

public struct HealthcheckSpec: Codable, Hashable, Sendable {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]`, or `["NONE"]` (disabled).
    public var test: [String]
    public var interval: CNCDuration = .seconds(30)
    public var timeout: CNCDuration = .seconds(30)
    public var retries: Int = 3
    public var startPeriod: CNCDuration = .zero
    public var startInterval: CNCDuration = .seconds(5)
    public var disable: Bool = false

    public init(test: [String]) { self.test = test }

    enum CodingKeys: String, CodingKey {
        case test, interval, timeout, retries, disable
        case startPeriod = "start_period"
        case startInterval = "start_interval"
    }
}

public struct DependencySpec: Codable, Hashable, Sendable {
    public enum Condition: String, Codable, Hashable, Sendable, CaseIterable {
        case serviceStarted = "service_started"
        case serviceHealthy = "service_healthy"
        case serviceCompletedSuccessfully = "service_completed_successfully"
    }

    public var condition: Condition = .serviceStarted
    /// Restart this service when the dependency is updated.
    public var restart: Bool = false
    public var required: Bool = true

    public init() {}
}

public struct LoggingSpec: Codable, Hashable, Sendable {
    public enum Driver: String, Codable, Hashable, Sendable, CaseIterable {
        case jsonFile = "json-file"
        case journald, none
    }

    public struct Options: Codable, Hashable, Sendable {
        public var maxSize: ByteSize?
        public var maxFile: Int?
        public var tag: String?
        public init() {}
        enum CodingKeys: String, CodingKey {
            case tag
            case maxSize = "max-size"
            case maxFile = "max-file"
        }
    }

    public var driver: Driver = .jsonFile
    public var options: Options = Options()
    public init() {}
}

public enum PullPolicy: String, Codable, Hashable, Sendable, CaseIterable {
    case always, never, missing, build
}

/// A service's use of a top-level config or secret.
public struct FileReference: Codable, Hashable, Sendable {
    public var source: String
    /// Absolute path in the container (configs: `/<source>`, secrets: `/run/secrets/<source>`).
    public var target: String
    public var uid: String?
    public var gid: String?
    public var mode: Int?

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}

/// `deploy.mode`: `global` runs one task per node (a DaemonSet in export); on one host, one replica.
public enum DeployMode: String, Codable, Hashable, Sendable, CaseIterable { case global }

public enum EndpointMode: String, Codable, Hashable, Sendable, CaseIterable { case vip, dnsrr }

public struct DeploySpec: Codable, Hashable, Sendable {
    /// nil: replicated (the default, left out of the canonical JSON so config hashes stay as they were).
    public var mode: DeployMode?
    /// `endpoint_mode: dnsrr` (a swarm answers the service's name with its tasks' addresses instead
    /// of a virtual IP); nil is vip. Only export uses it: on one host names resolve to containers.
    public var endpointMode: EndpointMode?
    public var replicas: Int = 1
    public var resources: ResourcesSpec = ResourcesSpec()
    public var updateConfig: UpdateConfig = UpdateConfig()
    public var rollbackConfig: UpdateConfig = UpdateConfig()
    public var restartPolicy: DeployRestartPolicy?
    /// `deploy.labels`: the labels of the service itself (a swarm service, a Kubernetes
    /// workload), not of its containers; only export uses them (nil: none, left out of the JSON).
    public var labels: [String: String]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case mode, replicas, resources, labels
        case endpointMode = "endpoint_mode"
        case updateConfig = "update_config"
        case rollbackConfig = "rollback_config"
        case restartPolicy = "restart_policy"
    }
}

public struct ResourcesSpec: Codable, Hashable, Sendable {
    public struct Limits: Codable, Hashable, Sendable {
        public var cpus: CPUQuantity?
        public var memory: ByteSize?
        public var pids: Int64?
        public init() {}

        enum CodingKeys: String, CodingKey { case cpus, memory, pids }

        // Compose's schema takes deploy memory as a string, so bytes are written as "536870912".
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(cpus, forKey: .cpus)
            try c.encodeIfPresent(memory.map { String($0.bytes) }, forKey: .memory)
            try c.encodeIfPresent(pids, forKey: .pids)
        }
    }

    public struct Reservations: Codable, Hashable, Sendable {
        public var cpus: CPUQuantity?
        public var memory: ByteSize?
        public init() {}

        enum CodingKeys: String, CodingKey { case cpus, memory }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(cpus, forKey: .cpus)
            try c.encodeIfPresent(memory.map { String($0.bytes) }, forKey: .memory)
        }
    }

    public var limits: Limits = Limits()
    public var reservations: Reservations = Reservations()
    public init() {}
}

/// `deploy.update_config` / `deploy.rollback_config`, defaults as in Docker.
public struct UpdateConfig: Codable, Hashable, Sendable {
    public enum FailureAction: String, Codable, Hashable, Sendable, CaseIterable { case `continue`, rollback, pause }
    public enum Order: String, Codable, Hashable, Sendable, CaseIterable {
        case stopFirst = "stop-first"
        case startFirst = "start-first"
    }

    public var parallelism: Int = 1
    public var delay: CNCDuration = .zero
    public var failureAction: FailureAction = .pause
    public var monitor: CNCDuration = .seconds(5)
    public var maxFailureRatio: Double = 0
    public var order: Order = .stopFirst

    public init() {}

    enum CodingKeys: String, CodingKey {
        case parallelism, delay, monitor, order
        case failureAction = "failure_action"
        case maxFailureRatio = "max_failure_ratio"
    }
}

public struct DeployRestartPolicy: Codable, Hashable, Sendable {
    public enum Condition: String, Codable, Hashable, Sendable, CaseIterable {
        case none
        case onFailure = "on-failure"
        case any
    }

    public var condition: Condition = .any
    public var delay: CNCDuration = .zero
    public var maxAttempts: Int?
    public var window: CNCDuration = .zero

    public init() {}

    enum CodingKeys: String, CodingKey {
        case condition, delay, window
        case maxAttempts = "max_attempts"
    }
}

public struct BlkioSpec: Codable, Hashable, Sendable {
    public struct WeightDevice: Codable, Hashable, Sendable {
        public var path: String
        public var weight: Int
    }

    public struct RateDevice: Codable, Hashable, Sendable {
        public var path: String
        /// Bytes per second for *_bps, operations per second for *_iops.
        public var rate: Int64
    }

    public var weight: Int?
    public var weightDevice: [WeightDevice] = []
    public var deviceReadBps: [RateDevice] = []
    public var deviceReadIops: [RateDevice] = []
    public var deviceWriteBps: [RateDevice] = []
    public var deviceWriteIops: [RateDevice] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case weight
        case weightDevice = "weight_device"
        case deviceReadBps = "device_read_bps"
        case deviceReadIops = "device_read_iops"
        case deviceWriteBps = "device_write_bps"
        case deviceWriteIops = "device_write_iops"
    }
}

public struct DeviceMapping: Codable, Hashable, Sendable {
    public var source: String
    public var target: String
    public var permissions: String = "rwm"

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}
