import CNCAppCLI
import ArgumentParser
import CNCCgroups
import CNCCore
import CNCRuntime
import CNCSystem
import CNCEngine
import CNCNetwork

/// The flags `cnc run` and `cnc create` share (Docker's names and meanings).
struct ContainerOptions: ParsableArguments {
    @Option(name: .long, help: "Assign a name to the container.") var name: String?
    @Flag(name: [.customShort("i"), .long], help: "Keep STDIN open.") var interactive = false
    @Flag(name: [.customShort("t"), .long], help: "Allocate a pseudo-TTY.") var tty = false
    @Option(name: [.customShort("e"), .long], help: "Set environment variables.") var env: [String] = []
    @Option(name: .long, help: "Read in a file of environment variables.") var envFile: [String] = []
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Option(name: [.customShort("u"), .long], help: "Username or UID (format: <name|uid>[:<group|gid>]).") var user: String?
    @Option(name: [.customShort("h"), .long], help: "Container host name.") var hostname: String?
    @Option(name: [.customShort("v"), .long], help: "Bind mount a volume (SRC:DST[:ro], NAME:DST, or DST).") var volume: [String] = []
    @Option(name: .long, help: "Attach a mount (type=bind|volume|tmpfs,source=,target=,readonly).") var mount: [String] = []
    @Option(name: .long, help: "Mount a tmpfs directory (DST[:OPTIONS]).") var tmpfs: [String] = []
    @Flag(name: .long, help: "Mount the container's root filesystem as read only.") var readOnly = false
    @Flag(name: .long, help: "Run an init inside the container that forwards signals and reaps processes.") var `init` = false
    @Option(name: .long, help: "Overwrite the default ENTRYPOINT of the image.") var entrypoint: String?
    @Option(name: .long, help: "Number of CPUs.") var cpus: String?
    @Option(name: [.customShort("c"), .long], help: "CPU shares (relative weight).") var cpuShares: Int64?
    @Option(name: .long, help: "Limit CPU CFS quota (microseconds).") var cpuQuota: Int64?
    @Option(name: .long, help: "Limit CPU CFS period (microseconds).") var cpuPeriod: Int64?
    @Option(name: .long, help: "CPUs in which to allow execution (0-3, 0,1).") var cpusetCpus: String?
    @Option(name: .long, help: "MEMs in which to allow execution.") var cpusetMems: String?
    @Option(name: [.customShort("m"), .long], help: "Memory limit.") var memory: String?
    @Option(name: .long, help: "Memory soft limit.") var memoryReservation: String?
    @Option(name: .long, help: "Swap limit equal to memory plus swap: -1 for unlimited swap.") var memorySwap: String?
    @Option(name: .long, help: "Tune container pids limit (-1 for unlimited).") var pidsLimit: Int64?
    @Flag(name: .long, help: "Disable OOM Killer.") var oomKillDisable = false
    @Option(name: .long, help: "Block IO weight (10-1000).") var blkioWeight: Int64?
    @Option(name: .long, help: "Add a rule to the cgroup allowed devices list.") var deviceCgroupRule: [String] = []
    @Option(name: .long, help: "Add Linux capabilities.") var capAdd: [String] = []
    @Option(name: .long, help: "Drop Linux capabilities.") var capDrop: [String] = []
    @Option(name: .long, help: "Security options (seccomp=unconfined, no-new-privileges=false).") var securityOpt: [String] = []
    @Option(name: .long, help: "Ulimit options (nofile=1024:2048).") var ulimit: [String] = []
    @Option(name: .long, help: "Restart policy: no, always, unless-stopped, on-failure[:max-retries].") var restart: String = "no"
    @Option(name: .long, help: "Signal to stop the container.") var stopSignal: String?
    @Option(name: .long, help: "Timeout (in seconds) to stop a container.") var stopTimeout: Int?
    @Option(name: .long, help: "Command to run to check health.") var healthCmd: String?
    @Option(name: .long, help: "Time between running the check (ms|s|m|h).") var healthInterval: String?
    @Option(name: .long, help: "Maximum time to allow one check to run.") var healthTimeout: String?
    @Option(name: .long, help: "Consecutive failures needed to report unhealthy.") var healthRetries: Int?
    @Option(name: .long, help: "Start period for the container to initialize before counting retries.") var healthStartPeriod: String?
    @Flag(name: .long, help: "Disable any container-specified HEALTHCHECK.") var noHealthcheck = false
    @Option(name: [.customShort("l"), .long], help: "Set meta data on a container.") var label: [String] = []
    @Option(name: .long, help: "Connect a container to a network: none, host, container:NAME, bridge (the default network) or a network's name (default: none; bridge when -p, -P, --ip or --network-alias is given).") var network: String?
    @Option(name: [.customShort("p"), .long], help: "Publish a container's port(s) to the host ([IP:]HOST:CONTAINER[/udp], ranges).") var publish: [String] = []
    @Flag(name: [.customShort("P"), .long], help: "Publish all exposed ports to random host ports.") var publishAll = false
    @Option(name: .long, help: "IPv4 address on the network (e.g. 172.30.100.104).") var ip: String?
    @Option(name: .long, help: "Add a network-scoped alias for the container.") var networkAlias: [String] = []
    @Option(name: .long, help: "Set custom DNS search domains.") var dnsSearch: [String] = []
    @Option(name: .long, help: "Set DNS options.") var dnsOption: [String] = []
    @Option(name: .long, help: "Optional parent cgroup for the container.") var cgroupParent: String?
    @Option(name: .long, help: "Log driver options (max-size, max-file).") var logOpt: [String] = []
    @Option(name: .long, help: "Set custom DNS servers.") var dns: [String] = []
    @Option(name: .long, help: "Add a custom host-to-IP mapping (host:ip).") var addHost: [String] = []
    @Option(name: .long, help: ArgumentHelp("Use this directory as the image's root filesystem.", visibility: .hidden))
    var rootfs: String?

    @Argument(help: "The image.") var image: String
    @Argument(parsing: .captureForPassthrough, help: "Command and arguments.") var command: [String] = []

    func size(_ s: String?) throws -> Int64? {
        guard let s else { return nil }
        if s == "-1" { return -1 }
        return try ByteSize(parsing: s).bytes
    }

    func duration(_ s: String?) throws -> Int64? { try s.map { try CNCDuration(parsing: $0).nanoseconds } }

    /// The container configuration these flags describe.
    func makeConfig(autoRemove: Bool, engine: EngineConfig) throws -> ContainerConfig {
        var image: ImageDefaults
        if let rootfs {
            guard FileSystem.isDirectory(rootfs) else { throw CNCError(.notFound, "rootfs directory \(rootfs) does not exist") }
            let dir = rootfs.hasPrefix("/") ? rootfs : (FileSystem.readLink("/proc/self/cwd") ?? ".") + "/" + rootfs
            image = ImageDefaults.rootfs(dir, reference: self.image)
        } else {
            Trace.mark("resolving image")
            image = try ContainerEngine.image(engine, self.image)
            Trace.mark("image resolved")
        }
        var c = ContainerConfig(id: ContainerID.random(), name: name ?? "", image: self.image, lowerDirs: image.lowerDirs)
        c.imageID = image.id.isEmpty ? nil : image.id
        // Docker: --entrypoint replaces the image's entrypoint and drops its cmd unless a
        // command is given.
        if let entrypoint {
            c.entrypoint = entrypoint.isEmpty ? [] : [entrypoint]
            c.cmd = command
        } else {
            c.entrypoint = image.entrypoint
            c.cmd = command.isEmpty ? image.cmd : command
        }
        if let s = image.stopSignal, stopSignal == nil { c.stopSignal = s }
        if let test = image.healthcheck, healthCmd == nil, !noHealthcheck, !test.isEmpty, test.first != "NONE" {
            var h = Healthcheck(test: test)
            if let v = image.healthInterval, v > 0 { h.interval = v }
            if let v = image.healthTimeout, v > 0 { h.timeout = v }
            if let v = image.healthStartPeriod, v > 0 { h.startPeriod = v }
            if let v = image.healthRetries, v > 0 { h.retries = v }
            c.healthcheck = h
        }
        var env = image.env
        for f in envFile {
            for line in try FileSystem.readText(f).split(separator: "\n") where !line.hasPrefix("#") && !String(line).trimmingSpaces.isEmpty {
                env.append(String(line))
            }
        }
        for e in self.env {
            if e.contains("=") { env.append(e) } else if let v = Host.environment(e) { env.append("\(e)=\(v)") }
        }
        c.env = env
        c.workingDir = workdir ?? image.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        c.user = user ?? image.user ?? ""
        c.hostname = hostname ?? ""
        c.tty = tty
        c.openStdin = interactive
        c.readOnly = readOnly
        c.initProcess = `init`
        c.autoRemove = autoRemove
        c.capAdd = capAdd
        c.capDrop = capDrop
        c.securityOpt = securityOpt
        c.labels = image.labels.merging(Dictionary(label.map { l -> (String, String) in
            let kv = l.split(separator: "=", maxSplits: 1).map(String.init)
            return (kv[0], kv.count > 1 ? kv[1] : "")
        }, uniquingKeysWith: { $1 })) { $1 }
        // Publishing ports asks for a network: without --network it means the default bridge
        // (what `docker run -p` does); otherwise a container starts with no network.
        let wantsBridge = !publish.isEmpty || publishAll || ip != nil || !networkAlias.isEmpty
        c.network = try NetworkMode(parsing: network ?? (wantsBridge ? "bridge" : "none"))
        c.cgroupParent = cgroupParent
        c.restartPolicy = try RestartPolicy(parsing: restart)
        if let stopSignal { _ = try Runtime.signalNumber(stopSignal); c.stopSignal = stopSignal }
        if let stopTimeout { c.stopTimeout = stopTimeout }
        c.ulimits = try ulimit.map(Ulimit.init(parsing:))
        c.dns = dns
        c.extraHosts = addHost
        if !publish.isEmpty || publishAll || ip != nil || !networkAlias.isEmpty {
            guard case .bridge = c.network else {
                throw CNCError(.invalidArgument, "-p, -P, --ip and --network-alias need a bridge network (--network bridge or NAME)")
            }
        }
        for p in publish { _ = try PublishedPort.parse(p) }
        c.publish = publish + (publishAll ? image.exposedPorts.filter { (try? PublishedPort.parse($0)) != nil } : [])
        if c.publish?.isEmpty == true { c.publish = nil }
        c.ipv4Address = ip
        c.networkAliases = networkAlias.isEmpty ? nil : networkAlias
        c.dnsSearch = dnsSearch.isEmpty ? nil : dnsSearch
        c.dnsOptions = dnsOption.isEmpty ? nil : dnsOption
        for o in logOpt {
            let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CNCError(.invalidArgument, "invalid log option \"\(o)\"") }
            switch kv[0] {
            case "max-size": c.log.maxSize = try ByteSize(parsing: kv[1]).bytes
            case "max-file":
                guard let n = Int(kv[1]), n >= 1 else { throw CNCError(.invalidArgument, "invalid max-file \"\(kv[1])\"") }
                c.log.maxFile = n
            default: throw CNCError(.invalidArgument, "unknown log option \"\(kv[0])\" (max-size, max-file)")
            }
        }
        if let healthCmd, !noHealthcheck {
            var h = Healthcheck(test: ["CMD-SHELL", healthCmd])
            if let v = try duration(healthInterval) { h.interval = v }
            if let v = try duration(healthTimeout) { h.timeout = v }
            if let v = try duration(healthStartPeriod) { h.startPeriod = v }
            if let healthRetries { h.retries = healthRetries }
            c.healthcheck = h
        }
        c.mounts = try volume.map(Self.parseVolume) + mount.map(Self.parseMount) + tmpfs.map { t in
            let parts = t.split(separator: ":", maxSplits: 1).map(String.init)
            return MountSpec(type: .tmpfs, source: "", target: parts[0], options: parts.count > 1 ? parts[1] : "")
        }
        // The image's VOLUMEs become anonymous volumes unless something is mounted there.
        for v in image.volumes where !c.mounts.contains(where: { $0.target == v }) {
            c.mounts.append(MountSpec(type: .volume, source: "", target: v))
        }
        c.limits = try limits()
        return c
    }

    func limits() throws -> CgroupLimits {
        var l = CgroupLimits()
        if let cpus {
            let q = try CPUQuantity(parsing: cpus)
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
        if let m = l.memory, let s = l.memorySwap, s >= 0, s < m {
            throw CNCError(.invalidArgument, "minimum memoryswap limit should be larger than memory limit, see usage")
        }
        l.pids = pidsLimit
        if oomKillDisable { l.oomKillDisable = true }
        if let w = blkioWeight {
            guard (10...1000).contains(w) else { throw CNCError(.invalidArgument, "invalid --blkio-weight \(w): want 10 to 1000") }
            l.blkioWeight = w
        }
        if !deviceCgroupRule.isEmpty { l.deviceRules = try deviceCgroupRule.map(DeviceRule.init(parsing:)) }
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
            let ro = parts.count == 3 && parts[2].split(separator: ",").contains("ro")
            if parts.count == 3, !parts[2].split(separator: ",").allSatisfy({ ["ro", "rw", "z", "Z", "rprivate", "private"].contains($0) }) { throw bad() }
            if parts[0].hasPrefix("/") || parts[0].hasPrefix(".") {
                return MountSpec(type: .bind, source: parts[0], target: parts[1], readOnly: ro)
            }
            return MountSpec(type: .volume, source: parts[0], target: parts[1], readOnly: ro)
        default: throw bad()
        }
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
            default: throw CNCError(.invalidArgument, "unexpected key \"\(kv[0])\" in --mount \(text)")
            }
        }
        guard target.hasPrefix("/"), let kind = MountSpec.Kind(rawValue: type) else {
            throw CNCError(.invalidArgument, "invalid --mount \"\(text)\": want type=bind|volume|tmpfs and an absolute target")
        }
        if kind == .bind && !source.hasPrefix("/") { throw CNCError(.invalidArgument, "invalid --mount \"\(text)\": bind source must be absolute") }
        return MountSpec(type: kind, source: source, target: target, readOnly: ro, options: opts.joined(separator: ","))
    }
}

extension GlobalOptions {
    func runtime() throws -> Runtime { try ContainerEngine.runtime(engineConfig()) }
}
