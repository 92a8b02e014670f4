import CNCCore

/// The image configuration blob (OCI image-spec `config.json`, same as Docker's image JSON).
public struct ImageConfig: Codable, Hashable, Sendable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [History]?

    enum CodingKeys: String, CodingKey {
        case created, author, architecture, os, variant, config, rootfs, history
        case osVersion = "os.version"
    }

    public init(created: String? = nil, author: String? = nil, architecture: String, os: String = "linux",
                config: ContainerConfig? = nil, rootfs: RootFS, history: [History]? = nil) {
        self.created = created
        self.author = author
        self.architecture = architecture
        self.os = os
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }

    public var platform: Platform { Platform(architecture: architecture, os: os, variant: variant) }
}

/// The execution defaults of an image (`config` inside the image configuration).
public struct ContainerConfig: Codable, Hashable, Sendable {
    public var user: String?
    public var exposedPorts: [String: EmptyObject]?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var volumes: [String: EmptyObject]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?
    public var argsEscaped: Bool?
    public var healthcheck: HealthConfig?
    public var shell: [String]?
    public var onBuild: [String]?

    enum CodingKeys: String, CodingKey {
        case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
        case volumes = "Volumes", workingDir = "WorkingDir", labels = "Labels", stopSignal = "StopSignal"
        case argsEscaped = "ArgsEscaped", healthcheck = "Healthcheck", shell = "Shell", onBuild = "OnBuild"
    }

    public init() {}
}

/// Docker's image healthcheck (not in the OCI spec, but carried by Docker images).
public struct HealthConfig: Codable, Hashable, Sendable {
    public var test: [String]?
    public var interval: Int64?
    public var timeout: Int64?
    public var startPeriod: Int64?
    /// Docker 25+'s `--start-interval`: the probe interval during the start period.
    public var startInterval: Int64?
    public var retries: Int?

    public init(test: [String]? = nil) { self.test = test }

    enum CodingKeys: String, CodingKey {
        case test = "Test", interval = "Interval", timeout = "Timeout", startPeriod = "StartPeriod"
        case startInterval = "StartInterval", retries = "Retries"
    }
}

/// `{}` — the value type of ExposedPorts and Volumes maps.
public struct EmptyObject: Codable, Hashable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws { _ = encoder.container(keyedBy: NoKeys.self) }
    private enum NoKeys: CodingKey {}
}

/// The layers of the image as uncompressed-tar digests, bottom first.
public struct RootFS: Codable, Hashable, Sendable {
    public var type: String
    public var diffIDs: [Digest]

    enum CodingKeys: String, CodingKey {
        case type
        case diffIDs = "diff_ids"
    }

    public init(type: String = "layers", diffIDs: [Digest]) {
        self.type = type
        self.diffIDs = diffIDs
    }
}

/// One step of how the image was made.
public struct History: Codable, Hashable, Sendable {
    public var created: String?
    public var createdBy: String?
    public var author: String?
    public var comment: String?
    public var emptyLayer: Bool?

    enum CodingKeys: String, CodingKey {
        case created, author, comment
        case createdBy = "created_by"
        case emptyLayer = "empty_layer"
    }

    public init(created: String? = nil, createdBy: String? = nil, comment: String? = nil, emptyLayer: Bool? = nil) {
        self.created = created
        self.createdBy = createdBy
        self.comment = comment
        self.emptyLayer = emptyLayer
    }
}
