import CNCCore
import CNCOCI

/// What an image contributes to a `cnc run`/`create`: its unpacked lowers and its defaults.
public struct ImageDefaults: Sendable {
    public var reference: String
    public var id: String
    public var lowerDirs: [String]
    public var env: [String]
    public var entrypoint: [String]
    public var cmd: [String]
    public var workingDir: String?
    public var user: String?
    public var stopSignal: String?
    public var healthcheck: [String]?
    public var healthInterval: Int64?
    public var healthTimeout: Int64?
    public var healthStartPeriod: Int64?
    public var healthRetries: Int?
    public var volumes: [String]
    public var labels: [String: String]
    /// EXPOSE: "80/tcp", "53/udp" (what `-P` publishes).
    public var exposedPorts: [String] = []

    /// The defaults of a resolved image whose unpacked layers are `lowerDirs`.
    public init(_ image: ResolvedImage, lowerDirs: [String], reference: String) {
        let c = image.config.config
        self.init(
            reference: reference, id: image.id.description, lowerDirs: lowerDirs, env: c?.env ?? [],
            entrypoint: c?.entrypoint ?? [], cmd: c?.cmd ?? [], workingDir: c?.workingDir, user: c?.user,
            stopSignal: c?.stopSignal, healthcheck: c?.healthcheck?.test, healthInterval: c?.healthcheck?.interval,
            healthTimeout: c?.healthcheck?.timeout, healthStartPeriod: c?.healthcheck?.startPeriod,
            healthRetries: c?.healthcheck?.retries, volumes: (c?.volumes ?? [:]).keys.sorted(), labels: c?.labels ?? [:])
        exposedPorts = (c?.exposedPorts ?? [:]).keys.sorted()
    }

    public init(reference: String, id: String, lowerDirs: [String], env: [String], entrypoint: [String], cmd: [String],
                workingDir: String? = nil, user: String? = nil, stopSignal: String? = nil, healthcheck: [String]? = nil,
                healthInterval: Int64? = nil, healthTimeout: Int64? = nil, healthStartPeriod: Int64? = nil,
                healthRetries: Int? = nil, volumes: [String], labels: [String: String]) {
        self.reference = reference
        self.id = id
        self.lowerDirs = lowerDirs
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.workingDir = workingDir
        self.user = user
        self.stopSignal = stopSignal
        self.healthcheck = healthcheck
        self.healthInterval = healthInterval
        self.healthTimeout = healthTimeout
        self.healthStartPeriod = healthStartPeriod
        self.healthRetries = healthRetries
        self.volumes = volumes
        self.labels = labels
    }

    /// A plain root filesystem directory as the image (`--rootfs`): no defaults.
    public static func rootfs(_ dir: String, reference: String) -> ImageDefaults {
        ImageDefaults(reference: reference, id: "", lowerDirs: [dir], env: [], entrypoint: [], cmd: [], volumes: [], labels: [:])
    }
}
