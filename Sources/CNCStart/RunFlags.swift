import CNCCgroups
import CNCCore
import CNCImageStore
import CNCRuntime
import CNCSystem

/// What `cnc run` and `cnc create` were asked, as plain values: ContainerOptions (parsed by
/// ArgumentParser) and RunFlags.parseFast (the start path's parser) both produce it, and
/// `makeConfig` turns it into a ContainerConfig.
public struct RunFlags: Equatable, Sendable {
    public init() {}

    public var name: String?
    public var interactive = false
    public var tty = false
    public var env: [String] = []
    public var envFile: [String] = []
    public var workdir: String?
    public var user: String?
    public var hostname: String?
    public var volume: [String] = []
    public var mount: [String] = []
    public var tmpfs: [String] = []
    public var readOnly = false
    public var `init` = false
    public var entrypoint: String?
    public var cpus: String?
    public var cpuShares: Int64?
    public var cpuQuota: Int64?
    public var cpuPeriod: Int64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    public var memory: String?
    public var memoryReservation: String?
    public var memorySwap: String?
    public var pidsLimit: Int64?
    public var oomKillDisable = false
    public var blkioWeight: Int64?
    public var deviceCgroupRule: [String] = []
    public var device: [String] = []
    public var sysctl: [String] = []
    public var oomScoreAdj: Int?
    public var shmSize: String?
    public var cgroupns: String?
    public var privileged = false
    public var deviceReadBps: [String] = []
    public var pid: String?
    public var groupAdd: [String] = []
    public var cidfile: String?
    public var ipc: String?
    /// `--userns host|auto[:size=N]|CONTAINER:HOST:SIZE[,...]` (UsernsMode).
    public var userns: String?
    public var uts: String?
    public var deviceWriteBps: [String] = []
    public var deviceReadIops: [String] = []
    public var deviceWriteIops: [String] = []
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var securityOpt: [String] = []
    public var ulimit: [String] = []
    public var restart = "no"
    public var stopSignal: String?
    public var stopTimeout: Int?
    public var healthCmd: String?
    public var healthInterval: String?
    public var healthTimeout: String?
    public var healthRetries: Int?
    public var healthStartPeriod: String?
    public var noHealthcheck = false
    public var label: [String] = []
    public var network: String?
    public var publish: [String] = []
    public var publishAll = false
    public var ip: String?
    public var networkAlias: [String] = []
    public var dnsSearch: [String] = []
    public var dnsOption: [String] = []
    public var cgroupParent: String?
    public var logOpt: [String] = []
    public var logDriver: String?
    public var sdnotify: String?
    public var dns: [String] = []
    public var addHost: [String] = []
    /// `--pull`: "missing" (docker's default), "always" or "never"; checked by `pullPolicy()`.
    public var pull = "missing"
    public var rootfs: String?
    public var image = ""
    public var command: [String] = []

    /// A memory flag's bytes as docker reads it: 0 is "not given" (no limit for run/create, no
    /// change for update), -1 (--memory-swap only) unlimited swap.
    func size(_ s: String?) throws -> Int64? {
        guard let s else { return nil }
        if s == "-1" { return -1 }
        let bytes = try ByteSize(parsing: s).bytes
        return bytes == 0 ? nil : bytes
    }

    /// docker's CLI reads --memory and --memory-reservation as sizes (MemBytes): -1 is not one;
    /// --memory-swap (MemSwapBytes) takes -1 too, unlimited swap. For run, create and update
    /// alike, in its words; a usage error (exit 125).
    public func checkSizes() throws {
        for (flag, value, swap) in [("-m, --memory", memory, false), ("--memory-reservation", memoryReservation, false),
                                    ("--memory-swap", memorySwap, true)] {
            guard let value, !(swap && value == "-1") else { continue }
            if value.trimmingSpaces.hasPrefix("-") || (try? ByteSize(parsing: value)) == nil {
                throw CNCError(.invalidArgument, "invalid argument \"\(value)\" for \"\(flag)\" flag: invalid size: '\(value)'")
            }
        }
    }

    func duration(_ s: String?) throws -> Int64? { try s.map { try CNCDuration(parsing: $0).nanoseconds } }

    /// The image `--rootfs` names as a plain directory, nil without --rootfs.
    public func rootfsImage() throws -> ImageDefaults? {
        guard let rootfs else { return nil }
        guard FileSystem.isDirectory(rootfs) else { throw CNCError(.notFound, "rootfs directory \(rootfs) does not exist") }
        let dir = rootfs.hasPrefix("/") ? rootfs : (FileSystem.readLink("/proc/self/cwd") ?? ".") + "/" + rootfs
        return ImageDefaults.rootfs(dir, reference: self.image)
    }

    /// When `run`/`create` pull the image (`--pull`), as docker's.
    public enum PullPolicy: String, Sendable { case missing, always, never }

    /// `--pull`'s value, or docker's error for anything else.
    public func pullPolicy() throws -> PullPolicy {
        guard let p = PullPolicy(rawValue: pull) else {
            throw CNCError(.invalidArgument, "invalid pull option: '\(pull)': must be one of \"always\", \"missing\" or \"never\"")
        }
        return p
    }

    /// The network mode these flags ask for: --network, else the default bridge network, as
    /// with docker (`--network none` is the explicit way to have only a loopback).
    public func networkMode() throws -> NetworkMode {
        try NetworkMode(parsing: network ?? "bridge")
    }

    /// The container configuration these flags describe, on the image `image()` resolves (the
    /// runtime's one resolve of a request over an image's defaults). The flags are parsed and
    /// the limits checked before the image is looked for or pulled, as docker's daemon checks a
    /// host config before its image: `--memory 1m` on a missing image is refused, not pulled.
    /// Docker's create warnings (limits it accepts but doubts) go to stderr here, once.
    public func makeConfig(autoRemove: Bool, image: () throws -> ImageDefaults) throws -> ContainerConfig {
        let request = try request(autoRemove: autoRemove)
        try request.validateLimits()
        let config = try request.resolve(image: try image())
        for w in config.limits.dockerWarnings { writeStderr("WARNING: \(w)\n") }
        return config
    }

    /// These flags as a typed ContainerRequest: every value parsed and checked here, once.
    public func request(autoRemove: Bool) throws -> ContainerRequest {
        var r = ContainerRequest(name: name ?? "", image: image)
        // Docker: --entrypoint replaces the image's entrypoint (an empty one clears it) and
        // drops its cmd unless a command is given.
        if let entrypoint { r.entrypoint = entrypoint.isEmpty ? [] : [entrypoint] }
        r.command = command.isEmpty ? nil : command
        var env: [String] = []
        for f in envFile {
            for line in try FileSystem.readText(f).split(separator: "\n") where !line.hasPrefix("#") && !String(line).trimmingSpaces.isEmpty {
                env.append(String(line))
            }
        }
        for e in self.env {
            if e.contains("=") { env.append(e) } else if let v = Host.environment(e) { env.append("\(e)=\(v)") }
        }
        r.env = env
        r.workingDir = workdir
        r.user = user
        r.hostname = hostname
        r.tty = tty
        r.openStdin = interactive
        r.readOnly = readOnly
        r.initProcess = `init`
        r.autoRemove = autoRemove
        r.capAdd = capAdd
        r.capDrop = capDrop
        r.securityOpt = securityOpt.isEmpty ? [] : try SeccompProfile.resolveSecurityOptions(securityOpt, relativeTo: try FileSystem.currentDirectory())
        r.labels = Dictionary(label.map { l -> (String, String) in
            let kv = l.split(separator: "=", maxSplits: 1).map(String.init)
            return (kv[0], kv.count > 1 ? kv[1] : "")
        }, uniquingKeysWith: { $1 })
        r.network = try networkMode()
        r.cgroupParent = cgroupParent
        r.restartPolicy = try RestartPolicy(parsing: restart)
        r.sdNotify = try sdnotify.map(SdNotifyMode.parse)
        r.stopSignal = stopSignal
        r.stopTimeout = stopTimeout
        r.ulimits = try ulimit.map(Ulimit.init(parsing:))
        r.dns = dns
        r.extraHosts = addHost
        if !publish.isEmpty || publishAll || ip != nil || !networkAlias.isEmpty {
            guard case .bridge = r.network else {
                throw CNCError(.invalidArgument, "-p, -P, --ip and --network-alias need a bridge network (--network bridge or NAME)")
            }
        }
        r.publish = try publish.flatMap(PublishedPort.parse)
        r.publishAllExposed = publishAll
        r.ipv4Address = ip
        r.networkAliases = networkAlias
        r.dnsSearch = dnsSearch
        r.dnsOptions = dnsOption
        let driver = try logDriver.map(LogDriver.parse) ?? .jsonFile
        if driver != .jsonFile { r.log.driver = driver }
        for o in logOpt {
            let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CNCError(.invalidArgument, "invalid log option \"\(o)\"") }
            guard driver.options.contains(kv[0]) else {
                throw CNCError(.invalidArgument, "unknown log opt '\(kv[0])' for \(driver.rawValue) log driver")
            }
            switch kv[0] {
            case "max-size": r.log.maxSize = try ByteSize(parsing: kv[1]).bytes
            case "max-file":
                guard let n = Int(kv[1]), n >= 1 else { throw CNCError(.invalidArgument, "invalid max-file \"\(kv[1])\"") }
                r.log.maxFile = n
            default: r.log.tag = kv[1]
            }
        }
        if noHealthcheck {
            r.healthcheck = .disabled
        } else if let healthCmd {
            var h = Healthcheck(test: ["CMD-SHELL", healthCmd])
            if let v = try duration(healthInterval) { h.interval = v }
            if let v = try duration(healthTimeout) { h.timeout = v }
            if let v = try duration(healthStartPeriod) { h.startPeriod = v }
            if let healthRetries { h.retries = healthRetries }
            r.healthcheck = .custom(h)
        }
        r.mounts = try volume.map { try Self.creatingHostPath(Self.parseVolume($0)) }
            + mount.map { try Self.requiringHostPath(Self.parseMount($0)) } + tmpfs.map { t in
            let parts = t.split(separator: ":", maxSplits: 1).map(String.init)
            return MountSpec(type: .tmpfs, source: "", target: parts[0], options: parts.count > 1 ? parts[1] : "")
        }
        r.limits = try resourceLimits()
        try applyHostResources(&r)
        r.privileged = privileged
        return r
    }

    /// `--pid`/`--ipc`/`--uts`: "host" shares the host's namespace; "" or "private" (and for ipc
    /// "shareable", Docker's default) a new one. nil stands for private.
    public static func namespaceMode(_ value: String?, flag: String) throws -> NamespaceMode? {
        switch value {
        case nil, "", "private": return nil
        case "shareable" where flag == "--ipc": return nil
        case "host": return .host
        case let v?:
            if v.hasPrefix("container:") {
                throw CNCError(.unsupported, "\(flag) \(v): joining another container's namespace is only supported for --network")
            }
            throw CNCError(.invalidArgument, "invalid \(flag) \"\(v)\": want host or private")
        }
    }

    /// --sysctl, --device, --shm-size, --cgroupns and --oom-score-adj, checked as Docker checks them.
    func applyHostResources(_ r: inout ContainerRequest) throws {
        r.sysctls = try HostResources.sysctls(sysctl, network: r.network) ?? [:]
        r.devices = try device.flatMap(HostResources.devices)
        if let shmSize {
            let bytes = try ByteSize(parsing: shmSize).bytes
            guard bytes > 0 else { throw CNCError(.invalidArgument, "invalid --shm-size \(shmSize): must be greater than 0") }
            r.shmSize = bytes
        }
        r.groupAdd = groupAdd
        r.pidMode = try Self.namespaceMode(pid, flag: "--pid")
        r.ipcMode = try Self.namespaceMode(ipc, flag: "--ipc")
        r.utsMode = try Self.namespaceMode(uts, flag: "--uts")
        if let userns { r.userns = try UsernsMode(parsing: userns, rootless: Rootless.isActive) }
        if let cgroupns {
            guard let mode = NamespaceMode(rawValue: cgroupns), mode != .shareable else {
                throw CNCError(.invalidArgument, "invalid --cgroupns \"\(cgroupns)\": want host or private")
            }
            r.cgroupns = mode
        }
        if let oomScoreAdj {
            guard (-1000...1000).contains(oomScoreAdj) else {
                throw CNCError(.invalidArgument, "invalid value \(oomScoreAdj), range for oom score adj is [-1000, 1000]")
            }
            r.oomScoreAdj = oomScoreAdj
        }
    }

    /// The limits these flags ask for (CgroupLimits' rules: an absent flag leaves its limit
    /// alone, -1 removes it). `cnc update` uses it too. Docker's checks (`validate`) run on a
    /// container's complete limits: at resolve for run/create, after the merge for update (an
    /// update of the swap limit alone is valid when the container has a memory limit).
    public func resourceLimits() throws -> CgroupLimits {
        try checkSizes()
        var l = CgroupLimits()
        // Docker: --cpus 0 is no limit; with --cpu-period/--cpu-quota it conflicts; more CPUs
        // than the host has is refused (its words, from the daemon's resource checks).
        if let cpus, Double(cpus.trimmingSpaces) != 0 {
            let host = Processes.onlineCPUs
            if let n = Double(cpus.trimmingSpaces), n < 0 {
                throw CNCError(.invalidArgument, "Range of CPUs is from 0.01 to \(host).00, as there are only \(host) CPUs available")
            }
            if cpuPeriod != nil { throw CNCError(.invalidArgument, "Conflicting options: Nano CPUs and CPU Period cannot both be set") }
            if cpuQuota != nil { throw CNCError(.invalidArgument, "Conflicting options: Nano CPUs and CPU Quota cannot both be set") }
            let q = try CPUQuantity(parsing: cpus)
            if q.nanoCPUs > Int64(host) * 1_000_000_000 {
                throw CNCError(.invalidArgument, "Range of CPUs is from 0.01 to \(host).00, as there are only \(host) CPUs available")
            }
            let period = cpuPeriod ?? 100_000
            l.cpuPeriod = period
            l.cpuQuota = q.cfsQuota(periodMicros: period)
        }
        if let cpuQuota { l.cpuQuota = cpuQuota; l.cpuPeriod = cpuPeriod ?? l.cpuPeriod }
        if let cpuPeriod, l.cpuPeriod == nil { l.cpuPeriod = cpuPeriod }
        l.cpuShares = cpuShares
        l.cpusetCpus = cpusetCpus
        l.cpusetMems = cpusetMems
        l.memory = try size(memory)
        l.memoryReservation = try size(memoryReservation)
        l.memorySwap = try size(memorySwap)
        l.pids = pidsLimit
        if oomKillDisable { l.oomKillDisable = true }
        // Its range is checked with the other limits (validate: Docker's words).
        if let w = blkioWeight { l.blkioWeight = w }
        if !deviceCgroupRule.isEmpty { l.deviceRules = try deviceCgroupRule.map(DeviceRule.init(parsing:)) }
        let throttles = try deviceReadBps.map { try HostResources.throttle(.readBps, $0, flag: "--device-read-bps") }
            + deviceWriteBps.map { try HostResources.throttle(.writeBps, $0, flag: "--device-write-bps") }
            + deviceReadIops.map { try HostResources.throttle(.readIOps, $0, flag: "--device-read-iops") }
            + deviceWriteIops.map { try HostResources.throttle(.writeIOps, $0, flag: "--device-write-iops") }
        if !throttles.isEmpty { l.blkioThrottles = throttles }
        return l
    }

    /// `-v /host:/ctr[:ro]`, `-v name:/ctr`, `-v /ctr` (anonymous volume).
    static func parseVolume(_ text: String) throws -> MountSpec {
        let parts = text.split(separator: ":").map(String.init)
        func bad() -> CNCError { CNCError(.invalidArgument, "invalid volume specification \"\(text)\"") }
        switch parts.count {
        case 1:
            guard parts[0].hasPrefix("/") else { throw bad() }
            return MountSpec(type: .volume, source: "", target: parts[0])
        case 2, 3:
            guard parts[1].hasPrefix("/") else { throw bad() }
            let opts = parts.count == 3 ? parts[2].split(separator: ",").map(String.init) : []
            let ro = opts.contains("ro")
            if !opts.allSatisfy({ ["ro", "rw", "z", "Z", "rprivate", "private", "U", "idmap"].contains($0) }) { throw bad() }
            // podman's: U chowns the source to the container's user, idmap maps its owners.
            let kept = opts.filter { $0 == "U" || $0 == "idmap" }.joined(separator: ",")
            if parts[0].hasPrefix("/") {
                return MountSpec(type: .bind, source: parts[0], target: parts[1], readOnly: ro, options: kept)
            }
            if parts[0] == "." || parts[0] == ".." || parts[0].hasPrefix("./") || parts[0].hasPrefix("../") {
                // Relative to the working directory, as docker's CLI resolves it.
                return MountSpec(type: .bind, source: Self.absolute(parts[0], in: try FileSystem.currentDirectory()), target: parts[1], readOnly: ro, options: kept)
            }
            return MountSpec(type: .volume, source: parts[0], target: parts[1], readOnly: ro, options: kept)
        default: throw bad()
        }
    }

    /// `path` (relative) made absolute against `directory`, with "." and ".." resolved.
    static func absolute(_ path: String, in directory: String) -> String {
        var parts: [Substring] = []
        for p in (directory + "/" + path).split(separator: "/") {
            if p == "." { continue }
            if p == ".." { _ = parts.popLast(); continue }
            parts.append(p)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `-v /host:/ctr`: a missing host path is made as a directory, as Docker does.
    static func creatingHostPath(_ m: MountSpec) throws -> MountSpec {
        if m.type == .bind && !FileSystem.exists(m.source) {
            do { try FileSystem.createDirectory(m.source) } catch {
                throw CNCError.failed("create", "bind source \(m.source) of volume \(m.target)", cause: error)
            }
        }
        return m
    }

    /// `--mount type=bind`: the host path must exist (Docker's words for it).
    static func requiringHostPath(_ m: MountSpec) throws -> MountSpec {
        if m.type == .bind && !FileSystem.exists(m.source) {
            throw CNCError(.invalidArgument, "invalid mount config for type \"bind\": bind source path does not exist: \(m.source)")
        }
        return m
    }

    /// `--mount type=bind,source=/a,target=/b,readonly`.
    static func parseMount(_ text: String) throws -> MountSpec {
        var type = "volume", source = "", target = "", ro = false, opts: [String] = []
        for field in text.split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            switch kv[0] {
            case "type": type = kv.count > 1 ? kv[1] : ""
            case "source", "src": source = kv.count > 1 ? kv[1] : ""
            case "target", "destination", "dst": target = kv.count > 1 ? kv[1] : ""
            case "readonly", "ro": ro = kv.count == 1 || kv[1] == "true" || kv[1] == "1"
            case "tmpfs-size": opts.append("size=\(kv.count > 1 ? kv[1] : "")")
            case "tmpfs-mode": opts.append("mode=\(kv.count > 1 ? kv[1] : "")")
            // podman's: U=true (chown) chowns the source to the container's user, idmap maps its owners.
            case "U", "chown", "idmap":
                guard kv.count == 1 || ["true", "false"].contains(kv[1]) else {
                    throw CNCError(.invalidArgument, "invalid --mount \"\(text)\": \(kv[0]) takes true or false")
                }
                if kv.count == 1 || kv[1] == "true" { opts.append(kv[0] == "idmap" ? "idmap" : "U") }
            default: throw CNCError(.invalidArgument, "unexpected key \"\(kv[0])\" in --mount \(text)")
            }
        }
        guard target.hasPrefix("/"), let kind = MountSpec.Kind(rawValue: type) else {
            throw CNCError(.invalidArgument, "invalid --mount \"\(text)\": want type=bind|volume|tmpfs and an absolute target")
        }
        if kind == .bind && !source.hasPrefix("/") { throw CNCError(.invalidArgument, "invalid --mount \"\(text)\": bind source must be absolute") }
        if kind == .tmpfs && opts.contains(where: { $0 == "U" || $0 == "idmap" }) {
            throw CNCError(.invalidArgument, "invalid --mount \"\(text)\": U and idmap apply to bind and volume mounts")
        }
        return MountSpec(type: kind, source: source, target: target, readOnly: ro, options: opts.joined(separator: ","))
    }
}

extension ImageDefaults {
    /// The image's HEALTHCHECK as the runtime's Healthcheck (nil: none, or disabled).
    public var healthcheckDefault: Healthcheck? {
        Healthcheck(imageTest: healthcheck, interval: healthInterval, timeout: healthTimeout,
                    startPeriod: healthStartPeriod, retries: healthRetries)
    }
}
