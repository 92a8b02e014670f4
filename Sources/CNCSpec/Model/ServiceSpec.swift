import CNCCore

/// One service, normalized. `cpus`, `mem_limit`, `mem_reservation` and `pids_limit` are folded
/// into `deploy.resources`, and `scale` into `deploy.replicas`, so each fact has one place.
public struct ServiceSpec: Codable, Hashable, Sendable {
    public var image: ImageReference?
    public var build: BuildSpec?
    public var command: [String]?
    public var entrypoint: [String]?
    /// Final environment: env_file contents, then `environment` on top. A nil value means the
    /// variable was named without a value and is unset on this host.
    public var environment: [String: String?] = [:]
    public var workingDir: String?
    public var user: String?
    public var hostname: String?
    public var containerName: String?
    public var labels: [String: String] = [:]
    public var ports: [PortSpec] = []
    public var expose: [String] = []
    public var networks: [String: ServiceNetworkSpec] = [:]
    public var networkMode: NetworkMode?
    public var links: [String] = []
    public var volumes: [ServiceVolumeSpec] = []
    public var tmpfs: [String] = []
    public var readOnly: Bool = false
    public var restart = RestartPolicy()
    public var healthcheck: HealthcheckSpec?
    public var dependsOn: [String: DependencySpec] = [:]
    public var stopSignal: String = "SIGTERM"
    public var stopGracePeriod: CNCDuration = .seconds(10)
    public var `init`: Bool = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var securityOpt: [String] = []
    public var ulimits = Ulimits()
    public var sysctls: [String: String] = [:]
    public var extraHosts: [String] = []
    /// Nameservers and search domains for the container's resolv.conf (nil: the host's).
    public var dns: [String]?
    public var dnsSearch: [String]?
    public var logging: LoggingSpec = LoggingSpec()
    public var pullPolicy: PullPolicy = .missing
    public var profiles: [String] = []
    public var configs: [FileReference] = []
    public var secrets: [FileReference] = []
    public var deploy: DeploySpec = DeploySpec()
    public var cpuShares: Int64?
    public var cpuQuota: Int64?
    public var cpuPeriod: Int64?
    public var cpuset: String?
    /// Memory+swap limit; -1 bytes means unlimited swap.
    public var memswapLimit: ByteSize?
    public var oomKillDisable: Bool?
    public var oomScoreAdj: Int64?
    /// Size of /dev/shm.
    public var shmSize: ByteSize?
    /// The cgroup namespace: "host" or "private".
    public var cgroup: NamespaceMode?
    /// Every capability and host device, no seccomp filter (Docker's --privileged).
    public var privileged: Bool?
    /// Namespace modes: "host" shares the host's (pid, ipc, uts).
    public var pid: NamespaceMode?
    public var ipc: NamespaceMode?
    public var uts: NamespaceMode?
    /// `userns_mode` (or the app's `x-cnc.userns`): UsernsMode's canonical text; nil: the host's.
    public var usernsMode: String?
    /// More supplementary groups (names or gids).
    public var groupAdd: [String]?
    public var blkioConfig: BlkioSpec?
    public var devices: [DeviceMapping] = []
    public var cgroupParent: String?
    public var cnc: ServiceCNCSettings = ServiceCNCSettings()
    /// Compose's `develop:` (watch rules); not hashed.
    public var develop: DevelopSpec?
    /// Variables whose values came from encrypted files: name -> clear value. `environment`
    /// holds their redactions (`SecretRedaction`); never encoded, so never stored.
    public var sealedEnvironment: [String: String] = [:]
    /// The secret files this service mounts, with their content (filled when the desired
    /// state is built); never encoded.
    public var mountedSecrets: [MountedSecret] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case image, build, command, entrypoint, environment, user, hostname, labels, ports, expose, networks
        case links, volumes, tmpfs, restart, healthcheck, `init`, ulimits, sysctls, logging, profiles, cgroup, privileged, pid, ipc, uts
        case configs, secrets, deploy, cpuset, devices, develop
        case workingDir = "working_dir"
        case containerName = "container_name"
        case networkMode = "network_mode"
        case readOnly = "read_only"
        case dependsOn = "depends_on"
        case stopSignal = "stop_signal"
        case stopGracePeriod = "stop_grace_period"
        case capAdd = "cap_add"
        case capDrop = "cap_drop"
        case securityOpt = "security_opt"
        case extraHosts = "extra_hosts"
        case dns
        case dnsSearch = "dns_search"
        case pullPolicy = "pull_policy"
        case cpuShares = "cpu_shares"
        case cpuQuota = "cpu_quota"
        case cpuPeriod = "cpu_period"
        case memswapLimit = "memswap_limit"
        case oomKillDisable = "oom_kill_disable"
        case oomScoreAdj = "oom_score_adj"
        case groupAdd = "group_add"
        case usernsMode = "userns_mode"
        case shmSize = "shm_size"
        case blkioConfig = "blkio_config"
        case cgroupParent = "cgroup_parent"
        case cnc = "x-cnc"
    }

    /// Keys of the canonical JSON that do not go into the config hash, as in Compose: changing
    /// them never recreates a container (scale changes the count, not the containers).
    public static let unhashedSections: Set<String> = ["build", "depends_on", "profiles", "develop"]

    /// The service as canonical JSON sections, one per top-level key, for per-section hashing
    /// and for diffs that name what changed ("environment", "ports", ...). Sections listed in
    /// `unhashedSections` are left out, and `deploy` leaves out `replicas` and `labels` (the
    /// service's, not its containers').
    public func hashSections() throws -> [String: JSONValue] {
        guard case .object(var o) = try SpecJSON.tree(self) else { return [:] }
        for k in Self.unhashedSections { o[k] = nil }
        if case .object(var d)? = o["deploy"] {
            d["replicas"] = nil
            d["labels"] = nil
            o["deploy"] = .object(d)
        }
        return o
    }

    /// The canonical bytes hashed for this service's config (all hashed sections as one object).
    public func configHashInput() throws -> [UInt8] {
        try CanonicalJSON.encode(JSONValue.object(hashSections()))
    }
}

public struct BuildSpec: Codable, Hashable, Sendable {
    /// Absolute path of the build context.
    public var context: String
    /// Relative to the context (or absolute), as Compose resolves it.
    public var dockerfile: String = "Dockerfile"
    /// The Dockerfile's text, in place of `dockerfile`.
    public var dockerfileInline: String?
    public var args: [String: String] = [:]
    public var target: String?
    /// Labels over the built image's.
    public var labels: [String: String]?
    /// More names for the built image, besides the service's image name.
    public var tags: [String]?
    public var noCache: Bool?
    /// RUN's network: `none` (the default, as cnc build's), `default` or `host`.
    public var network: String?
    /// `HOST:IP` entries for the /etc/hosts of RUN steps.
    public var extraHosts: [String]?
    /// /dev/shm of RUN steps.
    public var shmSize: ByteSize?
    /// Pull base images even when the store has them.
    public var pull: Bool?
    /// `secrets`: top-level secrets by source; `target` is the id RUN --mount=type=secret uses.
    public var secrets: [FileReference]?

    public init(context: String) { self.context = context }

    enum CodingKeys: String, CodingKey {
        case context, dockerfile, args, target, labels, tags, network, pull, secrets
        case dockerfileInline = "dockerfile_inline"
        case noCache = "no_cache"
        case extraHosts = "extra_hosts"
        case shmSize = "shm_size"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        context = try c.decode(String.self, forKey: .context)
        dockerfile = try c.decodeIfPresent(String.self, forKey: .dockerfile) ?? "Dockerfile"
        dockerfileInline = try c.decodeIfPresent(String.self, forKey: .dockerfileInline)
        args = try c.decodeIfPresent([String: String].self, forKey: .args) ?? [:]
        target = try c.decodeIfPresent(String.self, forKey: .target)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        tags = try c.decodeIfPresent([String].self, forKey: .tags)
        noCache = try c.decodeIfPresent(Bool.self, forKey: .noCache)
        network = try c.decodeIfPresent(String.self, forKey: .network)
        extraHosts = try c.decodeIfPresent([String].self, forKey: .extraHosts)
        shmSize = try c.decodeIfPresent(ByteSize.self, forKey: .shmSize)
        pull = try c.decodeIfPresent(Bool.self, forKey: .pull)
        secrets = try c.decodeIfPresent([FileReference].self, forKey: .secrets)
    }

    /// `dockerfile` is left out beside `dockerfile_inline` (the two exclude each other), so the
    /// normalized form reads back.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(context, forKey: .context)
        if dockerfileInline == nil { try c.encode(dockerfile, forKey: .dockerfile) }
        try c.encodeIfPresent(dockerfileInline, forKey: .dockerfileInline)
        try c.encode(args, forKey: .args)
        try c.encodeIfPresent(target, forKey: .target)
        try c.encodeIfPresent(labels, forKey: .labels)
        try c.encodeIfPresent(tags, forKey: .tags)
        try c.encodeIfPresent(noCache, forKey: .noCache)
        try c.encodeIfPresent(network, forKey: .network)
        try c.encodeIfPresent(extraHosts, forKey: .extraHosts)
        try c.encodeIfPresent(shmSize, forKey: .shmSize)
        try c.encodeIfPresent(pull, forKey: .pull)
        try c.encodeIfPresent(secrets, forKey: .secrets)
    }
}

/// Per-service `x-cnc:` knobs.
public struct ServiceCNCSettings: Codable, Hashable, Sendable {
    /// How long an apply waits for a new container to become healthy (or, without a
    /// healthcheck, to keep running) before the update's failure_action applies.
    public var healthGateTimeout: CNCDuration = .seconds(60)
    /// Extra absolute paths whose changes `cncapply --watch` reacts to (besides the build context).
    public var watch: [String] = []
    /// Glob patterns `--watch` ignores.
    public var watchIgnore: [String] = []
    /// Whether `cncapply export` should publish this service (kubernetes Service / compose ports).
    public var export: Bool = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case watch, export
        case healthGateTimeout = "health_gate_timeout"
        case watchIgnore = "watch_ignore"
    }
}
