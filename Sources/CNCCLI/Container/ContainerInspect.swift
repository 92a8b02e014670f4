import CNCAppCLI
import ArgumentParser
import CNCCgroups
import CNCCore
import CNCNetwork
import CNCRuntime
import CNCSystem
import Foundation

/// `cnc inspect`: Docker-shaped JSON; `--format` with Go-template field paths.
struct ContainerInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more containers.",
        discussion: "EXAMPLES\n  cnc container inspect web\n  cnc container inspect --format '{{.State.Pid}}' web\n  cnc container inspect web db")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("f"), .long], help: "Format the output using the given Go template.") var format: String?
    @Argument(completion: .containerNames) var containers: [String]

    func run() throws {
        try dockerErrors {
            let r = try global.runtime()
            try InspectOutput.emit(containers, format: format) { Self.document(try r.container($0), runtime: r) }
        }
    }

    static func json<T: Encodable>(_ v: T) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(v))) ?? .null
    }

    static func rfc3339(_ nanos: Int64) -> String {
        let d = Date(timeIntervalSince1970: Double(nanos) / 1e9)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    /// Docker's [{"Path", "Rate"}] for one kind of block-device throttle (the device by its
    /// numbers under /dev/block).
    /// HostConfig.LogConfig.Config: the options given, by driver.
    static func logConfig(_ log: LogOptions) -> [String: JSONValue] {
        var c: [String: JSONValue] = [:]
        if log.effectiveDriver == .jsonFile {
            c["max-size"] = .string(log.maxSize > 0 ? String(log.maxSize) : "")
            c["max-file"] = .string(String(log.maxFile))
        }
        if let tag = log.tag { c["tag"] = .string(tag) }
        return c
    }

    static func throttles(_ l: CgroupLimits, _ kind: BlkioThrottle.Kind) -> JSONValue {
        .array((l.blkioThrottles ?? []).filter { $0.kind == kind }.map {
            .object(["Path": .string("/dev/block/\($0.major):\($0.minor)"), "Rate": .int($0.rate)])
        })
    }

    static func document(_ c: Container, runtime: Runtime) -> JSONValue {
        let cfg = c.config
        let s = c.state
        var state: [String: JSONValue] = [
            "Status": .string(s.status.rawValue), "Running": .bool(s.status == .running || s.status == .paused),
            "Paused": .bool(s.status == .paused), "Restarting": .bool(s.status == .restarting),
            "OOMKilled": .bool(s.oomKilled), "Dead": .bool(s.dead), "Pid": .int(Int64(s.isActive ? s.pid : 0)),
            "ExitCode": .int(Int64(s.exitCode)), "Error": .string(s.error), "StartedAt": .string(s.startedAt),
            "FinishedAt": .string(s.finishedAt),
        ]
        if let h = s.health { state["Health"] = json(h) }
        let l = cfg.limits
        var host: [String: JSONValue] = [
            "Binds": .array(cfg.mounts.filter { $0.type == .bind }.map { .string("\($0.source):\($0.target)\($0.readOnly ? ":ro" : "")") }),
            "NetworkMode": .string(cfg.network.description),
            "RestartPolicy": .object(["Name": .string(cfg.restartPolicy.name.rawValue), "MaximumRetryCount": .int(Int64(cfg.restartPolicy.maximumRetryCount))]),
            "AutoRemove": .bool(cfg.autoRemove), "CapAdd": json(cfg.capAdd), "CapDrop": json(cfg.capDrop),
            "SecurityOpt": json(cfg.securityOpt), "ReadonlyRootfs": .bool(cfg.readOnly), "Init": .bool(cfg.initProcess),
            "Privileged": .bool(cfg.privileged ?? false), "CgroupParent": .string(cfg.cgroupParent ?? ""),
            "Memory": .int(l.memory ?? 0), "MemoryReservation": .int(l.memoryReservation ?? 0), "MemorySwap": .int(l.effectiveMemorySwap ?? 0),
            "NanoCpus": .int(l.cpuQuota.map { q in q > 0 ? q * 1_000_000_000 / (l.cpuPeriod ?? 100_000) : 0 } ?? 0),
            "CpuShares": .int(l.cpuShares ?? 0), "CpuQuota": .int(l.cpuQuota ?? 0), "CpuPeriod": .int(l.cpuPeriod ?? 0),
            "CpusetCpus": .string(l.cpusetCpus ?? ""), "CpusetMems": .string(l.cpusetMems ?? ""),
            "PidsLimit": l.pids.map { .int($0) } ?? .null, "OomKillDisable": .bool(l.oomKillDisable ?? false),
            "BlkioWeight": .int(l.blkioWeight ?? 0),
            "Tmpfs": .object(Dictionary(cfg.mounts.filter { $0.type == .tmpfs }.map { ($0.target, JSONValue.string($0.options)) }, uniquingKeysWith: { $1 })),
            "LogConfig": .object(["Type": .string(cfg.log.effectiveDriver.rawValue), "Config": .object(logConfig(cfg.log))]),
            "Ulimits": json(cfg.ulimits), "Dns": json(cfg.dns), "ExtraHosts": json(cfg.extraHosts),
            "Sysctls": cfg.sysctls.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "Devices": .array((cfg.devices ?? []).map { d in
                .object(["PathOnHost": .string(d.hostPath), "PathInContainer": .string(d.containerPath), "CgroupPermissions": .string(d.permissions)])
            }),
            "ShmSize": .int(cfg.shmSize ?? 64 << 20), "OomScoreAdj": .int(Int64(cfg.oomScoreAdj ?? 0)),
            "PidMode": .string(cfg.pidMode?.rawValue ?? ""), "IpcMode": .string(cfg.ipcMode?.rawValue ?? "private"), "UTSMode": .string(cfg.utsMode?.rawValue ?? ""),
            "BlkioDeviceReadBps": throttles(l, .readBps), "BlkioDeviceWriteBps": throttles(l, .writeBps),
            "BlkioDeviceReadIOps": throttles(l, .readIOps), "BlkioDeviceWriteIOps": throttles(l, .writeIOps),
            // Docker's key ("" for the host's); the maps as podman shows them (CONTAINER:HOST:SIZE).
            "UsernsMode": .string(cfg.usernsMode ?? ""),
        ]
        if let u = cfg.uidMap, let g = cfg.gidMap {
            func lines(_ m: [IDMap]) -> JSONValue { .array(m.map { .string("\($0.containerID):\($0.hostID):\($0.size)") }) }
            host["IDMappings"] = .object(["UidMap": lines(u), "GidMap": lines(g)])
        }
        var config: [String: JSONValue] = [
            "Hostname": .string(cfg.hostname), "User": .string(cfg.user), "Env": json(cfg.env), "Cmd": json(cfg.cmd),
            "Entrypoint": cfg.entrypoint.isEmpty ? .null : json(cfg.entrypoint), "Image": .string(cfg.image),
            "WorkingDir": .string(cfg.workingDir), "Labels": json(cfg.labels), "Tty": .bool(cfg.tty),
            "OpenStdin": .bool(cfg.openStdin), "StopSignal": .string(cfg.stopSignal), "StopTimeout": .int(Int64(cfg.stopTimeout)),
        ]
        if let h = cfg.healthcheck {
            config["Healthcheck"] = .object(["Test": json(h.test), "Interval": .int(h.interval), "Timeout": .int(h.timeout),
                                             "StartPeriod": .int(h.startPeriod), "Retries": .int(Int64(h.retries))])
        }
        let mounts: [JSONValue] = cfg.mounts.map { m in
            .object(["Type": .string(m.type.rawValue), "Name": .string(m.type == .volume ? m.source : ""),
                     "Source": .string(m.type == .volume ? runtime.volumePath(m.source) : m.source),
                     "Destination": .string(m.target), "Mode": .string(m.readOnly ? "ro" : ""), "RW": .bool(!m.readOnly)])
        }
        return .object([
            "Id": .string(cfg.id.rawValue), "Created": .string(rfc3339(cfg.created)), "Path": .string(cfg.argv.first ?? ""),
            "Args": json(Array(cfg.argv.dropFirst())), "State": .object(state), "Image": .string(cfg.imageID ?? cfg.image),
            "Name": .string("/" + cfg.name), "RestartCount": .int(Int64(s.restartCount)), "Driver": .string("overlay2"),
            "LogPath": .string(c.directory + "/container.log"), "HostConfig": .object(host), "Mounts": .array(mounts),
            "Config": .object(config),
            "GraphDriver": .object(["Name": .string("overlay2"), "Data": .object([
                "LowerDir": .string(cfg.lowerDirs.joined(separator: ":")), "UpperDir": .string(c.directory + "/upper"),
                "WorkDir": .string(c.directory + "/work"), "MergedDir": .string(c.directory + "/rootfs")])]),
            "NetworkSettings": networkSettings(c, root: runtime.store.root),
        ])
    }
}

extension ContainerInspect {
    /// Docker's NetworkSettings: per network its address, gateway and aliases; the port map.
    static func networkSettings(_ c: Container, root: String) -> JSONValue {
        let attachments = NetworkManager(root: root).attachments(of: c.config.id)
        var networks: [String: JSONValue] = [:]
        var ports: [String: [JSONValue]] = [:]
        for a in attachments {
            networks[PredefinedNetworks.shownName(a.network)] = .object([
                "NetworkID": .string(a.networkID), "IPAddress": .string(a.address.description),
                "IPPrefixLen": .int(Int64(a.prefixLength)), "Gateway": .string(a.gateway?.description ?? ""),
                "Aliases": .array(a.names.map { .string($0) }),
            ])
        }
        let published = PortsText.published(c, attachments: attachments)
        for p in published {
            ports["\(p.containerPort)/\(p.proto.rawValue)", default: []].append(.object([
                "HostIp": .string(p.hostIP?.description ?? "0.0.0.0"), "HostPort": .string(String(p.hostPort))]))
        }
        if networks.isEmpty { networks[c.config.network.description] = .object([:]) }
        return .object([
            "Networks": .object(networks), "Ports": .object(ports.mapValues { .array($0) }),
            "IPAddress": .string(attachments.first?.address.description ?? ""),
            "Gateway": .string(attachments.first?.gateway?.description ?? ""),
        ])
    }
}
