import CNCCgroups
import CNCCore

/// Everything a container is created with (Docker's Config + HostConfig), stored as
/// `cnc.json` in its directory. The OCI `config.json` is derived from it.
public struct ContainerConfig: Codable, Sendable, Equatable {
    public var id: ContainerID
    public var name: String
    /// What the user asked for (an image reference, or "rootfs:<dir>" for --rootfs).
    public var image: String
    public var imageID: String?
    /// Overlay lower directories, top-most first.
    public var lowerDirs: [String]
    public var entrypoint: [String] = []
    public var cmd: [String] = []
    public var env: [String] = []
    public var workingDir: String = "/"
    public var user: String = ""
    public var hostname: String = ""
    public var tty = false
    public var openStdin = false
    public var readOnly = false
    public var initProcess = false
    public var autoRemove = false
    /// The overlay is mounted `volatile` (no sync of the upper fs when it is unmounted): for a
    /// container whose upper dir is worthless after a crash, as a build's RUN step (nil: false).
    public var volatileUpper: Bool?
    public var mounts: [MountSpec] = []
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var securityOpt: [String] = []
    public var limits = CgroupLimits()
    public var cgroupParent: String?
    public var restartPolicy = RestartPolicy()
    public var stopSignal: String = "SIGTERM"
    public var stopTimeout: Int = 10
    public var healthcheck: Healthcheck?
    public var labels: [String: String] = [:]
    public var network: NetworkMode = .none
    public var log = LogOptions()
    /// `--sdnotify` (nil: ignore).
    public var sdNotify: SdNotifyMode?
    public var ulimits: [Ulimit] = []
    public var dns: [String] = []
    public var extraHosts: [String] = []
    /// Bridge networking (CNCNetwork): `-p` specs, `--ip`, `--network-alias`, `--dns-search`,
    /// `--dns-option`. Optional so configs written before they existed still decode.
    public var publish: [PublishedPort]?
    public var ipv4Address: String?
    public var networkAliases: [String]?
    public var dnsSearch: [String]?
    public var dnsOptions: [String]?
    /// Networks joined besides `network` (a Compose service on several networks), each with its
    /// aliases and optional address. Attached together with the first, at every start.
    public var additionalNetworks: [AdditionalNetwork]?
    /// `--sysctl` / Compose `sysctls`: namespaced kernel parameters, set inside the container.
    public var sysctls: [String: String]?
    /// `--oom-score-adj` / `oom_score_adj` (-1000...1000), inherited by the workload.
    public var oomScoreAdj: Int?
    /// `--device` / Compose `devices`: host device nodes made in the container's /dev and
    /// allowed by its devices cgroup.
    public var devices: [DeviceNode]?
    /// `--shm-size` / `shm_size`: bytes of the container's /dev/shm (default 64 MiB).
    public var shmSize: Int64?
    /// `--cgroupns private` / Compose `cgroup: private`: the container's own cgroup namespace
    /// (its cgroup is "/" in /proc/self/cgroup). nil or "host": the host's, Docker's default
    /// on cgroup v1.
    public var cgroupns: NamespaceMode?
    /// `--privileged` / Compose `privileged: true`: every capability and host device, no
    /// seccomp filter, no masked paths, /sys and /sys/fs/cgroup writable.
    public var privileged: Bool?
    /// `--pid host`, `--ipc host`, `--uts host` (Compose `pid`, `ipc`, `uts`): share the host's
    /// namespace instead of a new one. nil: private.
    public var pidMode: NamespaceMode?
    public var ipcMode: NamespaceMode?
    public var utsMode: NamespaceMode?
    /// `--group-add` / Compose `group_add`: more supplementary groups (names or gids).
    public var groupAdd: [String]?
    /// Variables whose values are in the sealed file on a tmpfs (`Runtime.writeSealed`), not
    /// here: `env` holds their redactions. nil: none.
    public var sealedEnv: [String]?
    /// `--userns` (UsernsMode's text; nil: the host's user namespace) and the id maps of the
    /// container's user namespace (for `auto`, filled when it is created: UsernsRanges).
    public var usernsMode: String?
    public var uidMap: [IDMap]?
    public var gidMap: [IDMap]?
    /// Creation time, nanoseconds since the epoch.
    public var created: Int64 = 0

    public init(id: ContainerID, name: String, image: String, lowerDirs: [String]) {
        self.id = id; self.name = name; self.image = image; self.lowerDirs = lowerDirs
    }

    /// The workload's argv: entrypoint followed by cmd.
    public var argv: [String] { entrypoint + cmd }

    /// The cgroup path under each hierarchy.
    public var cgroupPath: String { (cgroupParent.map { $0.trimmingSlashes } ?? "cnc") + "/" + id.rawValue }

    public var seccompUnconfined: Bool { securityOpt.contains("seccomp=unconfined") || securityOpt.contains("seccomp:unconfined") }

    /// no_new_privs is on unless `--security-opt no-new-privileges=false`.
    public var noNewPrivileges: Bool {
        !securityOpt.contains { $0 == "no-new-privileges=false" || $0 == "no-new-privileges:false" }
    }
}

extension String {
    var trimmingSlashes: String {
        var s = Substring(self)
        while s.hasPrefix("/") { s = s.dropFirst() }
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}

/// One `--device HOST[:CONTAINER[:PERMISSIONS]]` node, as found on the host when the container
/// was made.
public struct DeviceNode: Codable, Sendable, Equatable {
    public var hostPath: String
    public var containerPath: String
    /// "rwm" or a subset: the devices cgroup's access.
    public var permissions: String
    /// "c" or "b".
    public var type: String
    public var major: Int64
    public var minor: Int64
    public var fileMode: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public init(hostPath: String, containerPath: String, permissions: String, type: String, major: Int64, minor: Int64,
                fileMode: UInt32, uid: UInt32, gid: UInt32) {
        self.hostPath = hostPath; self.containerPath = containerPath; self.permissions = permissions
        self.type = type; self.major = major; self.minor = minor; self.fileMode = fileMode; self.uid = uid; self.gid = gid
    }

    /// The devices cgroup rule that lets the container use it.
    public var rule: DeviceRule { DeviceRule(type: type, major: major, minor: minor, access: permissions) }
}

/// `-v`, `--mount` and `--tmpfs` entries.
public struct MountSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case bind, volume, tmpfs }
    public var type: Kind
    /// Host path (bind), volume name (volume), empty (tmpfs).
    public var source: String
    public var target: String
    public var readOnly = false
    /// tmpfs options ("size=64m,mode=1777").
    public var options: String = ""
    /// Volumes created for `-v /path` without a name (removed by `rm -v`).
    public var anonymous = false

    public init(type: Kind, source: String, target: String, readOnly: Bool = false, options: String = "", anonymous: Bool = false) {
        self.type = type; self.source = source; self.target = target; self.readOnly = readOnly
        self.options = options; self.anonymous = anonymous
    }
}

/// `--health-cmd` and friends (durations in nanoseconds).
public struct Healthcheck: Codable, Sendable, Equatable {
    /// ["CMD-SHELL", "curl -f ..."] or ["CMD", "arg0", ...].
    public var test: [String]
    public var interval: Int64 = 30_000_000_000
    public var timeout: Int64 = 30_000_000_000
    public var startPeriod: Int64 = 0
    public var retries: Int = 3
    public init(test: [String]) { self.test = test }

    /// An image's HEALTHCHECK (zero or nil settings keep the defaults); nil when the image has
    /// none or disables it (["NONE"]).
    public init?(imageTest test: [String]?, interval: Int64?, timeout: Int64?, startPeriod: Int64?, retries: Int?) {
        guard let test, !test.isEmpty, test.first != "NONE" else { return nil }
        self.test = test
        if let v = interval, v > 0 { self.interval = v }
        if let v = timeout, v > 0 { self.timeout = v }
        if let v = startPeriod, v > 0 { self.startPeriod = v }
        if let v = retries, v > 0 { self.retries = v }
    }

    public var argv: [String] {
        if test.first == "CMD-SHELL" { return ["/bin/sh", "-c", test.dropFirst().joined(separator: " ")] }
        if test.first == "CMD" { return Array(test.dropFirst()) }
        return test
    }
}

/// One more network a container joins (see ContainerConfig.additionalNetworks).
public struct AdditionalNetwork: Codable, Sendable, Equatable {
    public var name: String
    public var aliases: [String]
    public var ipv4Address: String?
    public init(name: String, aliases: [String] = [], ipv4Address: String? = nil) {
        self.name = name
        self.aliases = aliases
        self.ipv4Address = ipv4Address
    }
}

/// `--log-driver`, `--log-opt max-size=10m --log-opt max-file=3 --log-opt tag=...`.
public struct LogOptions: Codable, Sendable, Equatable {
    public var maxSize: Int64 = 0
    public var maxFile: Int = 1
    /// nil: json-file (configs written before drivers existed have none).
    public var driver: LogDriver?
    /// `--log-opt tag=`: a template of {{.ID}} {{.FullID}} {{.Name}} {{.ImageName}}
    /// {{.ImageID}} {{.ImageFullID}} {{.DaemonName}}, docker's default `{{.ID}}`.
    public var tag: String?
    public init() {}

    public var effectiveDriver: LogDriver { driver ?? .jsonFile }
}

/// `--sdnotify`, podman's meaning: when cnc runs as a `Type=notify` service's main process
/// (NOTIFY_SOCKET set), `monitor` tells systemd READY=1 once the container runs (and, for a
/// detached run, MAINPID=<the container's monitor>: see SdNotify); `container` makes the
/// monitor the main pid and relays the container's own READY=1 (and STATUS=, ...) from the
/// socket NOTIFY_SOCKET names inside it (/run/notify/notify.sock); `ignore` sends nothing.
public enum SdNotifyMode: String, Codable, Sendable, CaseIterable {
    case container, monitor, ignore

    /// Parses `--sdnotify`.
    public static func parse(_ text: String) throws -> SdNotifyMode {
        guard let m = SdNotifyMode(rawValue: text) else {
            throw CNCError(.invalidArgument, "invalid argument \"\(text)\" for \"--sdnotify\" flag: want container, monitor or ignore")
        }
        return m
    }
}

/// Where a container's output goes: docker's drivers of these names.
public enum LogDriver: String, Codable, Sendable, CaseIterable {
    case jsonFile = "json-file"
    case journald, none

    /// Parses `--log-driver`, in docker's words when no such driver exists.
    public static func parse(_ text: String) throws -> LogDriver {
        guard let d = LogDriver(rawValue: text) else {
            throw CNCError(.invalidArgument, "logger: no log driver named '\(text)' is registered")
        }
        return d
    }

    /// The `--log-opt` keys this driver takes (docker's, for the part cnc implements).
    public var options: [String] {
        switch self {
        case .jsonFile: ["max-size", "max-file", "tag"]
        case .journald: ["tag"]
        case .none: []
        }
    }
}
