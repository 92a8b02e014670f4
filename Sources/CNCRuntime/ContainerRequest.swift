import CNCCore
import CNCImageStore
import class CNCMonitorCore.JournalSender
import CNCSystem

/// What a user asked of a container, as typed values: `cnc run`/`create` flags (RunFlags), a
/// Compose service (cncapply), and next a Dockerfile RUN step. `resolve(image:)` is the one
/// place that merges a request with its image's defaults into the ContainerConfig the runtime
/// creates, with Docker's rules; front ends parse their own syntax into this and never format
/// values back into another front end's syntax.
public struct ContainerRequest: Sendable, Equatable {
    /// The health check: the image's HEALTHCHECK, none at all, or the request's own.
    public enum HealthcheckChoice: Sendable, Equatable {
        case image
        case disabled
        case custom(Healthcheck)
    }

    public var name: String
    /// The image as the user wrote it (an app container shows its spec's text).
    public var image: String
    /// nil: the image's ENTRYPOINT. Given (even empty): replaces it and drops the image's CMD.
    public var entrypoint: [String]?
    /// nil: the image's CMD (unless an entrypoint is given).
    public var command: [String]?
    /// KEY=VALUE, merged over the image's environment by key (Docker's ReplaceOrAppendEnvValues).
    public var env: [String] = []
    public var workingDir: String?
    public var user: String?
    public var hostname: String?
    public var tty = false
    public var openStdin = false
    public var readOnly = false
    public var initProcess = false
    public var autoRemove = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    /// Already resolved (a seccomp profile read and kept inline).
    public var securityOpt: [String] = []
    /// Over the image's labels.
    public var labels: [String: String] = [:]
    public var network: NetworkMode = .none
    public var publish: [PublishedPort] = []
    /// `-P`: every port the image EXPOSEs, on a host port chosen at start.
    public var publishAllExposed = false
    public var ipv4Address: String?
    public var networkAliases: [String] = []
    public var additionalNetworks: [AdditionalNetwork] = []
    public var dns: [String] = []
    public var dnsSearch: [String] = []
    public var dnsOptions: [String] = []
    public var extraHosts: [String] = []
    public var mounts: [MountSpec] = []
    /// The image's VOLUMEs become anonymous volumes where nothing else is mounted (docker run).
    public var imageVolumes = true
    public var limits = CgroupLimits()
    public var cgroupParent: String?
    public var restartPolicy = RestartPolicy()
    /// nil: the image's STOPSIGNAL, else SIGTERM.
    public var stopSignal: String?
    public var stopTimeout: Int?
    public var healthcheck = HealthcheckChoice.image
    public var log = LogOptions()
    public var sdNotify: SdNotifyMode?
    public var ulimits: [Ulimit] = []
    public var sysctls: [String: String] = [:]
    public var devices: [DeviceNode] = []
    public var shmSize: Int64?
    public var cgroupns: NamespaceMode?
    public var privileged = false
    public var pidMode: NamespaceMode?
    public var ipcMode: NamespaceMode?
    public var utsMode: NamespaceMode?
    public var groupAdd: [String] = []
    /// `--userns` / Compose `userns_mode`; nil or .host: the host's user namespace.
    public var userns: UsernsMode?
    public var oomScoreAdj: Int?

    public init(name: String, image: String) {
        self.name = name
        self.image = image
    }

    /// Docker's checks of the limits alone (resolve makes them too), for a caller that wants
    /// them before the image is looked for.
    public func validateLimits() throws { try limits.validateOnHost() }

    /// The container configuration for this request on `image`: the image's defaults where
    /// the request leaves a value open, Docker's interplay of ENTRYPOINT and CMD, the limits and
    /// host resources checked as Docker checks them.
    public func resolve(image i: ImageDefaults) throws -> ContainerConfig {
        var c = ContainerConfig(id: ContainerID.random(), name: name, image: image, lowerDirs: i.lowerDirs)
        c.imageID = i.id.isEmpty ? nil : i.id
        if let entrypoint {
            c.entrypoint = entrypoint
            c.cmd = command ?? []
        } else {
            c.entrypoint = i.entrypoint
            c.cmd = command ?? i.cmd
        }
        c.env = Runtime.mergeEnvironment(i.env + env)
        c.workingDir = workingDir ?? i.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        c.user = user ?? i.user ?? ""
        c.hostname = hostname ?? ""
        c.tty = tty
        c.openStdin = openStdin
        c.readOnly = readOnly
        c.initProcess = initProcess
        c.autoRemove = autoRemove
        c.capAdd = capAdd
        c.capDrop = capDrop
        c.securityOpt = securityOpt
        c.labels = i.labels.merging(labels) { _, requested in requested }
        c.network = network
        c.cgroupParent = cgroupParent
        c.restartPolicy = restartPolicy
        if let stopSignal {
            _ = try Runtime.signalNumber(stopSignal)
            c.stopSignal = stopSignal
        } else if let s = i.stopSignal {
            c.stopSignal = s
        }
        if let stopTimeout { c.stopTimeout = stopTimeout }
        switch healthcheck {
        case .image: c.healthcheck = Healthcheck(imageTest: i.healthcheck, interval: i.healthInterval, timeout: i.healthTimeout,
                                                  startPeriod: i.healthStartPeriod, retries: i.healthRetries)
        case .disabled: c.healthcheck = nil
        case .custom(let h): c.healthcheck = h
        }
        // Docker's words when the journal is not there to take the lines.
        if log.driver == .journald && !FileSystem.exists(JournalSender.socketPath) {
            throw CNCError(.unsupported, "failed to initialize logging driver: journald is not enabled on this host")
        }
        c.log = log
        c.sdNotify = sdNotify
        c.ulimits = ulimits
        c.dns = dns
        c.dnsSearch = dnsSearch.isEmpty ? nil : dnsSearch
        c.dnsOptions = dnsOptions.isEmpty ? nil : dnsOptions
        c.extraHosts = extraHosts
        var ports = publish
        // -P: every EXPOSEd port that parses (an image may carry one that does not).
        if publishAllExposed { ports += i.exposedPorts.flatMap { (try? PublishedPort.publishAll(exposed: [$0])) ?? [] } }
        c.publish = ports.isEmpty ? nil : ports
        c.ipv4Address = ipv4Address
        c.networkAliases = networkAliases.isEmpty ? nil : networkAliases
        c.additionalNetworks = additionalNetworks.isEmpty ? nil : additionalNetworks
        c.mounts = mounts
        if imageVolumes {
            for v in i.volumes where !c.mounts.contains(where: { $0.target == v }) {
                c.mounts.append(MountSpec(type: .volume, source: "", target: v))
            }
        }
        try limits.validateOnHost()
        c.limits = limits
        c.sysctls = sysctls.isEmpty ? nil : sysctls
        c.addDevices(devices)
        c.shmSize = shmSize
        c.cgroupns = cgroupns
        c.groupAdd = groupAdd.isEmpty ? nil : groupAdd
        // Only sharing the host's namespace is recorded; the other modes are the default.
        c.pidMode = pidMode == .host ? .host : nil
        c.ipcMode = ipcMode == .host ? .host : nil
        c.utsMode = utsMode == .host ? .host : nil
        c.oomScoreAdj = oomScoreAdj
        if let userns, !userns.isHost {
            c.usernsMode = userns.text
            if case .mapping(let maps) = userns { c.uidMap = maps; c.gidMap = maps }
            // keep-id (rootless): the process runs as the user's ids unless --user says otherwise.
            if case .keepID(let uid, let gid) = userns, user == nil {
                c.user = "\(uid ?? Rootless.hostUID ?? 0):\(gid ?? Rootless.hostGID ?? 0)"
            }
        }
        if privileged { c.makePrivileged() }
        return c
    }
}
