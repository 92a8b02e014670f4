import CNCCgroups
import CNCCore
import CNCImage
import CNCRuntime
import CNCSpec
import CNCSystem

/// Turns one service of a spec into the runtime's ContainerRequest (typed values, Compose's
/// meanings); the runtime's `ContainerRequest.resolve` merges it with the image's defaults, as it
/// does for `cnc run`.
enum ServiceContainerFactory {
    static func config(
        project: String, serviceName: String, service s: ServiceSpec, image: ImageDefaults, imageText: String,
        name: String, labels: [String: String], volumePrefix: String, volumeNames: [String: String] = [:],
        environment: [String: String]
    ) throws -> CNCRuntime.ContainerConfig {
        do {
            return try request(project: project, serviceName: serviceName, service: s, imageText: imageText, name: name,
                               labels: labels, volumePrefix: volumePrefix, volumeNames: volumeNames, environment: environment).resolve(image: image)
        } catch let e as CNCError where !e.message.hasPrefix("service \(serviceName)") {
            throw CNCError(e.code, "service \(serviceName): \(e.message)", cause: e.cause)
        }
    }

    /// The service's values that came from encrypted inputs and its secret files: what the
    /// runtime keeps on a tmpfs instead of the container's stored config (which shows redactions).
    static func sealed(_ s: ServiceSpec) throws -> SealedMaterial {
        for (k, v) in s.environment.sorted(by: { $0.key < $1.key }) where s.sealedEnvironment[k] == nil {
            if let v, SecretRedaction.isRedaction(v) {
                throw CNCError(.invalidArgument, "\(k) is \(v), and a stored revision keeps no secrets: give the spec (-f) and its age key")
            }
        }
        return SealedMaterial(
            env: s.sealedEnvironment.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" },
            files: s.mountedSecrets.map { .init(target: $0.target, content: $0.content, uid: $0.uid, gid: $0.gid, mode: $0.mode) })
    }

    static func request(
        project: String, serviceName: String, service s: ServiceSpec, imageText: String,
        name: String, labels: [String: String], volumePrefix: String, volumeNames: [String: String] = [:],
        environment: [String: String]
    ) throws -> ContainerRequest {
        var r = ContainerRequest(name: name, image: imageText)
        // Compose: a service entrypoint resets the image's cmd unless the service gives a command.
        r.entrypoint = s.entrypoint
        r.command = s.command
        r.env = s.environment.sorted(by: { $0.key < $1.key }).compactMap { k, v in
            if let v { return "\(k)=\(v)" }
            return environment[k].map { "\(k)=\($0)" }
        }
        r.workingDir = s.workingDir
        r.user = s.user
        r.hostname = s.hostname
        r.readOnly = s.readOnly
        r.initProcess = s.`init`
        r.capAdd = s.capAdd
        r.capDrop = s.capDrop
        r.securityOpt = try SeccompProfile.resolveSecurityOptions(s.securityOpt, relativeTo: "/")
        r.cgroupParent = s.cgroupParent
        r.stopSignal = s.stopSignal
        r.stopTimeout = Int(s.stopGracePeriod.nanoseconds / 1_000_000_000)
        // The app's own labels win over the service's, which win over the image's.
        r.labels = s.labels.merging(labels) { _, ours in ours }
        r.extraHosts = s.extraHosts
        r.dns = s.dns ?? []
        r.dnsSearch = s.dnsSearch ?? []
        r.restartPolicy = s.restart
        if let h = s.healthcheck {
            if h.disable || h.test.first == "NONE" {
                r.healthcheck = .disabled
            } else {
                var hc = Healthcheck(test: h.test)
                hc.interval = h.interval.nanoseconds
                hc.timeout = h.timeout.nanoseconds
                hc.startPeriod = h.startPeriod.nanoseconds
                hc.retries = h.retries
                r.healthcheck = .custom(hc)
            }
        }
        if let size = s.logging.options.maxSize { r.log.maxSize = size.bytes }
        if let files = s.logging.options.maxFile { r.log.maxFile = files }
        switch s.logging.driver {
        case .jsonFile: break
        case .journald: r.log.driver = .journald
        case .none: r.log.driver = LogDriver.none
        }
        r.log.tag = s.logging.options.tag
        r.ulimits = s.ulimits.all
        // Compose does not turn an image's VOLUMEs into anonymous volumes of its own.
        r.imageVolumes = false
        r.mounts = try s.volumes.map { v in
            switch v.type {
            case .bind:
                let source = v.source ?? ""
                // Compose makes a missing host path as a directory unless create_host_path: false.
                if !source.isEmpty && !FileSystem.exists(source) {
                    guard v.bind?.createHostPath ?? true else {
                        throw CNCError(.invalidArgument, "service \(serviceName): invalid mount config for type \"bind\": bind source path does not exist: \(source)")
                    }
                    do { try FileSystem.createDirectory(source) } catch {
                        throw CNCError.failed("create", "bind source \(source) of service \(serviceName)", cause: error)
                    }
                }
                return MountSpec(type: .bind, source: source, target: v.target, readOnly: v.readOnly, options: Self.usernsOptions(v))
            case .volume:
                // Named volumes of the app are scoped to it (unless named: `name:`, external ones);
                // anonymous ones stay anonymous.
                let source = v.source.map { volumeNames[$0] ?? volumePrefix + $0 } ?? ""
                return MountSpec(type: .volume, source: source, target: v.target, readOnly: v.readOnly, options: Self.usernsOptions(v))
            case .tmpfs:
                var opts: [String] = []
                if let size = v.tmpfs?.size { opts.append("size=\(size.bytes)") }
                if let mode = v.tmpfs?.mode { opts.append("mode=" + String(mode, radix: 8)) }
                return MountSpec(type: .tmpfs, source: "", target: v.target, options: opts.joined(separator: ","))
            }
        } + s.tmpfs.map { t in
            let parts = t.split(separator: ":", maxSplits: 1).map(String.init)
            return MountSpec(type: .tmpfs, source: "", target: parts[0], options: parts.count > 1 ? parts[1] : "")
        }
        r.limits = limits(s)
        switch s.networkMode {
        case .none?: r.network = .none
        case .host?: r.network = .host
        case .container(let other)?: r.network = .container(other)
        case .service(let other)?: r.network = .container("\(project)-\(other)-1")
        case .bridge?, nil:
            // The highest-priority network (then by name) is the container's; its aliases and
            // address come along. The service name is always an alias (the attacher adds it).
            let sorted = s.networks.sorted { ($0.value.priority, $1.key) > ($1.value.priority, $0.key) }
            let first = sorted.first?.key ?? "default"
            r.network = .bridge("\(project)_\(first)")
            if let n = sorted.first?.value {
                r.networkAliases = n.aliases
                r.ipv4Address = n.ipv4Address
            }
            r.additionalNetworks = sorted.dropFirst().map { key, n in
                AdditionalNetwork(name: "\(project)_\(key)", aliases: n.aliases, ipv4Address: n.ipv4Address)
            }
            r.publish = try s.ports.flatMap(publishedPorts)
        }
        // sysctls, devices, shm_size and oom_score_adj, checked as `cnc run` checks them.
        r.sysctls = try HostResources.sysctls(s.sysctls, network: r.network) ?? [:]
        if let b = s.blkioConfig {
            let t = try b.deviceReadBps.map { try HostResources.throttle(.readBps, path: $0.path, rate: $0.rate, flag: "blkio_config.device_read_bps") }
                + b.deviceWriteBps.map { try HostResources.throttle(.writeBps, path: $0.path, rate: $0.rate, flag: "blkio_config.device_write_bps") }
                + b.deviceReadIops.map { try HostResources.throttle(.readIOps, path: $0.path, rate: $0.rate, flag: "blkio_config.device_read_iops") }
                + b.deviceWriteIops.map { try HostResources.throttle(.writeIOps, path: $0.path, rate: $0.rate, flag: "blkio_config.device_write_iops") }
            if !t.isEmpty { r.limits.blkioThrottles = t }
        }
        r.devices = try s.devices.flatMap { try HostResources.devices(host: $0.source, container: $0.target, permissions: $0.permissions) }
        r.shmSize = s.shmSize?.bytes
        r.cgroupns = s.cgroup
        r.groupAdd = s.groupAdd ?? []
        r.pidMode = s.pid
        r.ipcMode = s.ipc
        r.utsMode = s.uts
        r.userns = try s.usernsMode.map { try UsernsMode(parsing: $0, rootless: Rootless.isActive) }
        r.privileged = s.privileged == true
        r.oomScoreAdj = s.oomScoreAdj.map { Int($0) }
        return r
    }

    /// One Compose `ports` entry as the runtime's published port (a published range gives its
    /// first port, as `-p 8000-8010:80` does; no published port: the host chooses).
    /// `:U` / `:idmap` (`x-cnc: {chown, idmap}`) as the runtime's mount options.
    static func usernsOptions(_ v: ServiceVolumeSpec) -> String {
        [v.cnc?.chown == true ? "U" : nil, v.cnc?.idmap == true ? "idmap" : nil].compactMap { $0 }.joined(separator: ",")
    }

    static func publishedPorts(_ p: PortSpec) throws -> [PublishedPort] {
        var hostIP: IPv4Address?
        if let ip = p.hostIP, !ip.isEmpty, ip != "0.0.0.0" {
            guard let a = IPv4Address(ip) else { throw CNCError(.unsupported, "not supported yet: publishing on host address \"\(ip)\" (IPv4 only)") }
            hostIP = a
        }
        guard PortProtocol.publishable.contains(p.protocol) else {
            throw CNCError(.unsupported, "not supported yet: publishing \(p.protocol.rawValue) ports")
        }
        guard let target = UInt16(exactly: p.target), target > 0 else { throw CNCError(.invalidArgument, "\(p.target) is not a port (1-65535)") }
        guard let published = p.published else {
            return [PublishedPort(hostIP: hostIP, hostPort: 0, containerPort: target, proto: p.protocol)]
        }
        guard let lo = UInt16(exactly: published.start), let hi = UInt16(exactly: published.end), lo > 0, hi >= lo else {
            throw CNCError(.invalidArgument, "\(published) is not a port range (1-65535)")
        }
        // "8000-8010:80": one port of the host range (the first), as `-p` does.
        return [PublishedPort(hostIP: hostIP, hostPort: lo, containerPort: target, proto: p.protocol)]
    }

    static func limits(_ s: ServiceSpec) -> CgroupLimits {
        var l = CgroupLimits()
        let r = s.deploy.resources
        if let cpus = r.limits.cpus {
            let period = s.cpuPeriod ?? 100_000
            l.cpuPeriod = period
            l.cpuQuota = cpus.cfsQuota(periodMicros: period)
        }
        if let q = s.cpuQuota { l.cpuQuota = q; l.cpuPeriod = s.cpuPeriod ?? 100_000 }
        l.cpuShares = s.cpuShares
        l.cpusetCpus = s.cpuset
        l.memory = r.limits.memory?.bytes
        l.memoryReservation = r.reservations.memory?.bytes
        l.memorySwap = s.memswapLimit?.bytes
        l.pids = r.limits.pids
        l.oomKillDisable = s.oomKillDisable
        if let w = s.blkioConfig?.weight { l.blkioWeight = Int64(w) }
        return l
    }
}
