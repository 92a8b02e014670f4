import CNCCgroups
import CNCCore
import CNCImage
import CNCRuntime
import CNCSpec
import CNCSystem

/// Turns one service of a spec (and the image it runs) into the runtime's container
/// configuration, with Docker's rules for merging image defaults and service overrides.
enum ServiceContainerFactory {
    static func config(
        project: String, serviceName: String, service s: ServiceSpec, image: ImageDefaults, imageText: String,
        name: String, labels: [String: String], volumePrefix: String, environment: [String: String]
    ) throws -> CNCRuntime.ContainerConfig {
        var c = CNCRuntime.ContainerConfig(id: ContainerID.random(), name: name, image: imageText, lowerDirs: image.lowerDirs)
        c.imageID = image.id.isEmpty ? nil : image.id
        // Docker: a service entrypoint resets the image's cmd unless the service gives a command.
        c.entrypoint = s.entrypoint ?? image.entrypoint
        c.cmd = s.command ?? (s.entrypoint == nil ? image.cmd : [])
        var env = image.env
        for (k, v) in s.environment.sorted(by: { $0.key < $1.key }) {
            if let v { env.append("\(k)=\(v)") } else if let host = environment[k] { env.append("\(k)=\(host)") }
        }
        c.env = env
        c.workingDir = s.workingDir ?? (image.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/")
        c.user = s.user ?? image.user ?? ""
        c.hostname = s.hostname ?? ""
        c.readOnly = s.readOnly
        c.initProcess = s.`init`
        c.capAdd = s.capAdd
        c.capDrop = s.capDrop
        c.securityOpt = try SeccompProfile.resolveSecurityOptions(s.securityOpt, relativeTo: "/")
        c.cgroupParent = s.cgroupParent
        c.stopSignal = s.stopSignal
        c.stopTimeout = Int(s.stopGracePeriod.nanoseconds / 1_000_000_000)
        c.labels = image.labels.merging(s.labels) { _, service in service }.merging(labels) { _, ours in ours }
        c.extraHosts = s.extraHosts
        c.dns = s.dns ?? []
        c.dnsSearch = s.dnsSearch
        switch s.restart {
        case .no: c.restartPolicy = RestartPolicy(name: .no)
        case .always: c.restartPolicy = RestartPolicy(name: .always)
        case .unlessStopped: c.restartPolicy = RestartPolicy(name: .unlessStopped)
        case .onFailure(let n): c.restartPolicy = RestartPolicy(name: .onFailure, maximumRetryCount: n ?? 0)
        }
        if let h = s.healthcheck {
            if !h.disable, h.test.first != "NONE" {
                var hc = Healthcheck(test: h.test)
                hc.interval = h.interval.nanoseconds
                hc.timeout = h.timeout.nanoseconds
                hc.startPeriod = h.startPeriod.nanoseconds
                hc.retries = h.retries
                c.healthcheck = hc
            }
        } else if let hc = Healthcheck(imageTest: image.healthcheck, interval: image.healthInterval, timeout: image.healthTimeout,
                                       startPeriod: image.healthStartPeriod, retries: image.healthRetries) {
            // The image's HEALTHCHECK applies when the service does not set one.
            c.healthcheck = hc
        }
        if let size = s.logging.options.maxSize { c.log.maxSize = size.bytes }
        if let files = s.logging.options.maxFile { c.log.maxFile = files }
        c.ulimits = try s.ulimits.sorted(by: { $0.key < $1.key }).map { k, u in
            try CNCRuntime.Ulimit(parsing: "\(k)=\(max(u.soft, 0)):\(max(u.hard, 0))")
        }
        c.mounts = try s.volumes.map { v in
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
                return MountSpec(type: .bind, source: source, target: v.target, readOnly: v.readOnly)
            case .volume:
                // Named volumes of the app are scoped to it; anonymous ones stay anonymous.
                let source = v.source.map { volumePrefix + $0 } ?? ""
                return MountSpec(type: .volume, source: source, target: v.target, readOnly: v.readOnly)
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
        c.limits = limits(s)
        switch s.networkMode {
        case .none?: c.network = .none
        case .host?: c.network = .host
        case .container(let other)?: c.network = try NetworkMode(parsing: "container:\(other)")
        case .service(let other)?: c.network = try NetworkMode(parsing: "container:\(project)-\(other)-1")
        case .bridge?, nil:
            // The highest-priority network (then by name) is the container's; its aliases and
            // address come along. The service name is always an alias (the attacher adds it).
            let sorted = s.networks.sorted { ($0.value.priority, $1.key) > ($1.value.priority, $0.key) }
            let first = sorted.first?.key ?? "default"
            c.network = try NetworkMode(parsing: "\(project)_\(first)")
            if let n = sorted.first?.value {
                c.networkAliases = n.aliases
                c.ipv4Address = n.ipv4Address
            }
            let others = sorted.dropFirst().map { key, n in
                AdditionalNetwork(name: "\(project)_\(key)", aliases: n.aliases, ipv4Address: n.ipv4Address)
            }
            c.additionalNetworks = others.isEmpty ? nil : Array(others)
            c.publish = s.ports.map { p in
                var text = ""
                if let ip = p.hostIP { text += (ip.contains(":") ? "[\(ip)]" : ip) + ":" }
                if let published = p.published { text += published.description + ":" } else if p.hostIP != nil { text += ":" }
                return text + "\(p.target)/\(p.protocol.rawValue)"
            }
        }
        // sysctls, devices, shm_size and oom_score_adj, checked as `cnc run` checks them.
        do {
            c.sysctls = try HostResources.sysctls(s.sysctls.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }, network: c.network)
            if let b = s.blkioConfig {
                let t = try b.deviceReadBps.map { try HostResources.throttle(.readBps, path: $0.path, rate: $0.rate, flag: "blkio_config.device_read_bps") }
                    + b.deviceWriteBps.map { try HostResources.throttle(.writeBps, path: $0.path, rate: $0.rate, flag: "blkio_config.device_write_bps") }
                    + b.deviceReadIops.map { try HostResources.throttle(.readIOps, path: $0.path, rate: $0.rate, flag: "blkio_config.device_read_iops") }
                    + b.deviceWriteIops.map { try HostResources.throttle(.writeIOps, path: $0.path, rate: $0.rate, flag: "blkio_config.device_write_iops") }
                if !t.isEmpty { c.limits.blkioThrottles = t }
            }
            c.addDevices(try s.devices.flatMap { try HostResources.devices("\($0.source):\($0.target):\($0.permissions)") })
        } catch let e as CNCError {
            throw CNCError(e.code, "service \(serviceName): \(e.message)", cause: e.cause)
        }
        c.shmSize = s.shmSize?.bytes
        c.cgroupns = s.cgroup
        c.groupAdd = s.groupAdd?.isEmpty == false ? s.groupAdd : nil
        c.pidMode = s.pid == "host" ? "host" : nil
        c.ipcMode = s.ipc == "host" ? "host" : nil
        c.utsMode = s.uts == "host" ? "host" : nil
        if s.privileged == true { c.makePrivileged() }
        c.oomScoreAdj = s.oomScoreAdj.map { Int($0) }
        return c
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
