import CNCCore
import CNCSpec

extension ComposeExport {
    /// Keys of a service that format 3.9 has (docker stack deploy validates against it).
    static let swarmServiceKeys: Set<String> = [
        "cap_add", "cap_drop", "command", "configs", "deploy", "dns", "dns_search", "entrypoint", "environment", "expose",
        "extra_hosts", "healthcheck", "hostname", "image", "init", "labels", "logging", "networks", "ports", "read_only",
        "secrets", "stop_grace_period", "stop_signal", "sysctls", "tmpfs", "ulimits", "user", "volumes", "working_dir",
    ]
    /// What a swarm service does not do, by key (the rest of the keys outside format 3.9: "no swarm equivalent").
    static let swarmWhy: [String: String] = [
        "container_name": "a swarm names its tasks",
        "depends_on": "a swarm starts services in no order (wait for dependencies in the service itself)",
        "links": "services reach each other by name on their networks",
        "restart": "carried as deploy.restart_policy",
        "privileged": "swarm services cannot be privileged",
        "security_opt": "docker stack deploy ignores security_opt",
        "devices": "swarm services get no host devices",
        "pull_policy": "swarm nodes pull on every deploy",
        "build": "docker stack deploy does not build images: exported as the image cnc built",
        "network_mode": "swarm services join networks (overlay), not another container's or the host's namespace",
    ]

    mutating func swarmService(_ name: String, _ svc: ServiceSpec, _ input: [String: JSONValue]) -> [String: JSONValue] {
        let base = "services.\(name)"
        var s = input.filter { Self.swarmServiceKeys.contains($0.key) }
        for key in input.keys.sorted() where !Self.swarmServiceKeys.contains(key) && key != "x-cnc" {
            if key == "restart" { continue }
            lost("\(base).\(key)", Self.swarmWhy[key] ?? "a swarm service has no \(key) (not in the stack file format)")
        }
        // restart -> deploy.restart_policy (a swarm ignores restart).
        var deploy = s["deploy"]?.objectValue ?? [:]
        if svc.deploy.restartPolicy == nil, written.contains("\(base).restart") {
            let condition: String = switch svc.restart.name { case .no: "none"; case .onFailure: "on-failure"; default: "any" }
            deploy["restart_policy"] = J.o([("condition", J.s(condition)),
                                            ("max_attempts", svc.restart.maximumRetryCount > 0 ? J.i(svc.restart.maximumRetryCount) : nil)])
            if svc.restart.name == .unlessStopped { lost("\(base).restart", "unless-stopped becomes restart_policy any (a swarm task is never stopped by hand)") }
        }
        if svc.deploy.mode == .global { deploy["replicas"] = nil }
        if case .object(var res)? = deploy["resources"], case .object(var lim)? = res["limits"], lim["pids"] != nil {
            lim["pids"] = nil
            res["limits"] = .object(lim)
            deploy["resources"] = .object(res)
            lostAlways("\(base).deploy.resources.limits.pids", "a stack file (format 3.9) has no pids limit")
        }
        s["deploy"] = .object(deploy)
        if case .object(var h)? = s["healthcheck"] {
            if h["start_interval"] != nil { lost("\(base).healthcheck.start_interval", "format 3.9 has no start_interval") }
            h["start_interval"] = nil
            s["healthcheck"] = .object(h)
        }
        s["ports"] = swarmPorts(base, svc)
        s["volumes"] = swarmVolumes(base, svc, input["volumes"])
        if case .object(var nets)? = s["networks"] {
            for (n, v) in nets {
                guard case .object(var o) = v else { continue }
                for k in ["ipv4_address", "ipv6_address", "priority"] where o[k] != nil {
                    if k != "priority" || svc.networks[n]?.priority != 0 { lost("\(base).networks.\(n).\(k)", "a swarm assigns its tasks' addresses") }
                    o[k] = nil
                }
                nets[n] = .object(o)
            }
            s["networks"] = .object(nets)
        }
        for key in ["configs", "secrets"] {
            guard case .array(let refs)? = s[key] else { continue }
            s[key] = .array(refs.map { r in
                guard case .object(var o) = r else { return r }
                if case .int(let m)? = o["mode"] { o["mode"] = .int(m) }
                return .object(o)
            })
        }
        return s.filter { if case .array(let a) = $0.value { return !a.isEmpty }; return true }
    }

    private mutating func swarmPorts(_ base: String, _ svc: ServiceSpec) -> JSONValue? {
        guard svc.cnc.export, !svc.ports.isEmpty else { return nil }
        var out: [JSONValue] = []
        for (i, p) in svc.ports.enumerated() {
            if p.hostIP != nil { lostAlways("\(base).ports[\(i)]", "host_ip \(p.hostIP ?? ""): a swarm publishes on every address of its nodes") }
            if let r = p.published, r.count > 1 { lost("\(base).ports[\(i)]", "a stack file publishes one port per entry: \(r) becomes \(r.start)") }
            lost("\(base).ports[\(i)].name", "format 3.9 has no port names")
            lost("\(base).ports[\(i)].app_protocol", "format 3.9 has no app_protocol")
            out.append(J.o([("target", J.i(p.target)), ("published", p.published.map { J.i($0.start) }), ("protocol", J.s(p.protocol.rawValue)),
                            ("mode", J.s(p.mode == .host ? "host" : "ingress"))]))
        }
        return .array(out)
    }

    private mutating func swarmVolumes(_ base: String, _ svc: ServiceSpec, _ input: JSONValue?) -> JSONValue? {
        guard case .array(let items)? = input else { return nil }
        var out: [JSONValue] = []
        for (i, item) in items.enumerated() {
            guard case .object(var o) = item else { continue }
            if case .object(var b)? = o["bind"] {
                b["create_host_path"] = nil
                b["selinux"] = nil
                o["bind"] = b.isEmpty ? nil : .object(b)
                lostAlways("\(base).volumes[\(i)]", "bind mount of \(svc.volumes[safe: i]?.source ?? "?"): that path must exist on every node a task may run on")
            }
            if case .object(var v)? = o["volume"] {
                if v["subpath"] != nil { lost("\(base).volumes[\(i)]", "format 3.9 has no volume subpath") }
                v["subpath"] = nil
                o["volume"] = v.isEmpty ? nil : .object(v)
            }
            if case .object(var t)? = o["tmpfs"] {
                if t["mode"] != nil { lost("\(base).volumes[\(i)]", "format 3.9 has no tmpfs mode") }
                t["mode"] = nil
                o["tmpfs"] = t.isEmpty ? nil : .object(t)
            }
            out.append(.object(o))
        }
        return .array(out)
    }

    /// Format 3.9's top level: a version, no name; networks are overlays; names of the stack's
    /// own objects come from the stack (`STACK_key`).
    mutating func swarmTopLevel(_ input: [String: JSONValue]) -> [String: JSONValue] {
        var root = input
        root["name"] = nil
        root["version"] = .string("3.9")
        if case .object(var nets)? = root["networks"] {
            for (key, v) in nets {
                guard case .object(var o) = v else { continue }
                let external = o["external"] == .bool(true)
                if !external {
                    o["name"] = nil
                    if let d = loaded.app.networks[key]?.driver, d != .bridge { lost("networks.\(key).driver", "swarm networks are overlays") }
                    o["driver"] = .string("overlay")
                    if o["driver_opts"] != nil { lost("networks.\(key).driver_opts", "overlay networks take their own options") }
                    o["driver_opts"] = nil
                }
                nets[key] = .object(o)
            }
            root["networks"] = .object(nets)
        }
        for section in ["volumes", "configs", "secrets"] {
            guard case .object(var items)? = root[section] else { continue }
            for (key, v) in items {
                guard case .object(var o) = v, o["external"] != .bool(true) else { continue }
                o["name"] = nil
                if section != "volumes" {
                    if o["content"] != nil || o["environment"] != nil {
                        lostAlways("\(section).\(key)", "a stack file's \(section) come from files (format 3.9 has no content or environment)")
                    }
                    o["content"] = nil
                    o["environment"] = nil
                }
                items[key] = .object(o)
            }
            root[section] = .object(items)
        }
        return root
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
