import CNCCore
import CNCSpec

extension KubernetesExport {
    /// The pod template's spec: one container, the waits for dependencies, volumes.
    mutating func podSpec(_ name: String, _ kname: String, _ svc: ServiceSpec, ports: [ContainerPort], claimTemplates: Set<String>) throws -> JSONValue {
        let base = "services.\(name)"
        var volumes: [JSONValue] = []
        var mounts: [JSONValue] = []
        mountVolumes(base, svc, claimTemplates: claimTemplates, volumes: &volumes, mounts: &mounts)
        mountFiles(base, svc, volumes: &volumes, mounts: &mounts)
        if let shm = svc.shmSize {
            volumes.append(J.o([("name", J.s("dshm")), ("emptyDir", J.o([("medium", J.s("Memory")), ("sizeLimit", J.s(KubeValues.memory(shm)))]))]))
            mounts.append(J.o([("name", J.s("dshm")), ("mountPath", J.s("/dev/shm"))]))
        }
        guard let ref = app.builtImageName(service: name) ?? svc.image else {
            throw CNCError(.invalidSpec, "\(base): no image to export")
        }
        let image = images.reference(ref)
        if svc.build != nil { lostAlways("\(base).build", "a cluster does not build images: exported as the image cnc built, \(image)") }
        if let why = images.unpullable(ref, built: svc.build != nil) { lostAlways("\(base).image", why) }
        // `mode: host` publishes on the node of each replica: a hostPort, not a load balancer.
        var hostPorts: [ContainerPort: (port: Int, ip: String?)] = [:]
        for p in svc.ports where p.mode == .host && svc.cnc.export {
            if let pub = p.published { hostPorts[ContainerPort(port: p.target, proto: p.protocol.rawValue.uppercased())] = (pub.start, p.hostIP) }
        }
        var container: [(String, JSONValue?)] = [
            ("name", J.s(kname)), ("image", J.s(image)),
            ("command", svc.entrypoint.map { J.strings($0.map(Self.literal)) }), ("args", svc.command.map { J.strings($0.map(Self.literal)) }),
            ("workingDir", svc.workingDir.map(J.s)),
            ("env", env(base, svc)),
            ("ports", ports.isEmpty ? nil : .array(ports.map { p in
                J.o([("containerPort", J.i(p.port)), ("protocol", J.s(p.proto)), ("name", J.s(p.name)), ("hostPort", hostPorts[p].map { J.i($0.port) }),
                     ("hostIP", hostPorts[p]?.ip.map(J.s))])
            })),
            ("resources", resources(svc)),
            ("securityContext", securityContext(base, svc)),
            ("volumeMounts", mounts.isEmpty ? nil : .array(mounts)),
            ("imagePullPolicy", pullPolicy(base, svc)),
        ]
        container += probes(base, svc)
        var pod: [(String, JSONValue?)] = [
            ("containers", .array([J.o(container)])),
            ("initContainers", initContainers(base, svc)),
            ("volumes", volumes.isEmpty ? nil : .array(volumes)),
            ("terminationGracePeriodSeconds", J.i(KubeValues.seconds(svc.stopGracePeriod, minimum: 0))),
            // The spec's environment is the container's: no docker-link-style variables per Service.
            ("enableServiceLinks", .bool(false)),
            ("automountServiceAccountToken", .bool(false)),
        ]
        pod += hostSettings(base, svc)
        if !KubeValues.isWholeSeconds(svc.stopGracePeriod) { lost("\(base).stop_grace_period", "terminationGracePeriodSeconds is whole seconds: \(svc.stopGracePeriod) rounded up") }
        return J.o(pod)
    }

    private mutating func env(_ base: String, _ svc: ServiceSpec) -> JSONValue? {
        var items: [JSONValue] = []
        for k in svc.environment.keys.sorted() {
            guard let v = svc.environment[k] ?? nil else {
                lost("\(base).environment.\(k)", "the variable is named without a value and unset here, so there is nothing to carry")
                continue
            }
            items.append(J.o([("name", J.s(k)), ("value", J.s(Self.literal(v)))]))
        }
        return items.isEmpty ? nil : .array(items)
    }

    /// Kubernetes expands `$(VAR)` and reduces `$$` to `$` in command, args and env values; the
    /// spec's text is literal (its interpolation is done), so every `$` is written `$$`.
    static func literal(_ s: String) -> String { s.replacingOccurrences(of: "$", with: "$$") }

    private mutating func pullPolicy(_ base: String, _ svc: ServiceSpec) -> JSONValue? {
        guard written.contains("\(base).pull_policy") else { return nil }
        switch svc.pullPolicy {
        case .always: return J.s("Always")
        case .never: return J.s("Never")
        case .missing: return J.s("IfNotPresent")
        case .build:
            lost("\(base).pull_policy", "a cluster does not build images")
            return nil
        }
    }

    private func resources(_ svc: ServiceSpec) -> JSONValue? {
        let r = svc.deploy.resources
        var limits: [String: String] = [:], requests: [String: String] = [:]
        if let c = r.limits.cpus { limits["cpu"] = KubeValues.cpu(c) }
        if let m = r.limits.memory { limits["memory"] = KubeValues.memory(m) }
        if let c = r.reservations.cpus { requests["cpu"] = KubeValues.cpu(c) }
        if let m = r.reservations.memory { requests["memory"] = KubeValues.memory(m) }
        if limits.isEmpty, requests.isEmpty { return nil }
        return J.o([("limits", limits.isEmpty ? nil : J.map(limits)), ("requests", requests.isEmpty ? nil : J.map(requests))])
    }

    /// readinessProbe and livenessProbe from the healthcheck; startupProbe from its start_period.
    private mutating func probes(_ base: String, _ svc: ServiceSpec) -> [(String, JSONValue?)] {
        guard let h = svc.healthcheck, !h.disable, let kind = h.test.first, kind == "CMD" || kind == "CMD-SHELL" else { return [] }
        let command = kind == "CMD" ? Array(h.test.dropFirst()) : ["/bin/sh", "-c", h.test.dropFirst().joined(separator: " ")]
        let p = "\(base).healthcheck"
        for (key, d) in [("interval", h.interval), ("timeout", h.timeout), ("start_interval", h.startInterval)] where !KubeValues.isWholeSeconds(d) {
            lost("\(p).\(key)", "probes count whole seconds: \(d) rounded up to \(KubeValues.seconds(d))s")
        }
        let exec = J.o([("command", J.strings(command))])
        let probe = J.o([("exec", exec), ("periodSeconds", J.i(KubeValues.seconds(h.interval))),
                         ("timeoutSeconds", J.i(KubeValues.seconds(h.timeout))), ("failureThreshold", J.i(max(1, h.retries)))])
        var out: [(String, JSONValue?)] = [("readinessProbe", probe), ("livenessProbe", probe)]
        if h.startPeriod > .zero {
            let period = KubeValues.seconds(h.startInterval)
            let attempts = max(1, (KubeValues.seconds(h.startPeriod) + period - 1) / period)
            out.append(("startupProbe", J.o([("exec", exec), ("periodSeconds", J.i(period)),
                                              ("timeoutSeconds", J.i(KubeValues.seconds(h.timeout))), ("failureThreshold", J.i(attempts))])))
        }
        return out
    }

    private mutating func securityContext(_ base: String, _ svc: ServiceSpec) -> JSONValue? {
        var f: [(String, JSONValue?)] = []
        if let user = svc.user {
            let parts = user.split(separator: ":", maxSplits: 1).map(String.init)
            if let uid = parts.first.flatMap({ Int64($0) }) {
                f.append(("runAsUser", J.i(uid)))
                if parts.count > 1 {
                    if let gid = Int64(parts[1]) { f.append(("runAsGroup", J.i(gid))) } else { lost("\(base).user", "Kubernetes takes a numeric group ID, not \"\(parts[1])\"") }
                }
            } else {
                lost("\(base).user", "Kubernetes takes a numeric user ID (runAsUser), not the name \"\(user)\"")
            }
        }
        let strip = { (c: String) in c.hasPrefix("CAP_") ? String(c.dropFirst(4)) : c }
        if !svc.capAdd.isEmpty || !svc.capDrop.isEmpty {
            f.append(("capabilities", J.o([("add", svc.capAdd.isEmpty ? nil : J.strings(svc.capAdd.map(strip))),
                                           ("drop", svc.capDrop.isEmpty ? nil : J.strings(svc.capDrop.map(strip)))])))
        }
        if svc.readOnly { f.append(("readOnlyRootFilesystem", .bool(true))) }
        if svc.privileged == true { f.append(("privileged", .bool(true))) }
        for (i, opt) in svc.securityOpt.enumerated() {
            let o = opt.replacingOccurrences(of: "=", with: ":")
            if o == "no-new-privileges" || o == "no-new-privileges:true" { f.append(("allowPrivilegeEscalation", .bool(false))) }
            else if o == "seccomp:unconfined" { f.append(("seccompProfile", J.o([("type", J.s("Unconfined"))]))) }
            else { lost("\(base).security_opt[\(i)]", "\"\(opt)\" has no securityContext equivalent here") }
        }
        return f.isEmpty ? nil : J.o(f)
    }

    /// Pod-level settings: host namespaces, names, DNS, sysctls, groups; and what has no equivalent.
    private mutating func hostSettings(_ base: String, _ svc: ServiceSpec) -> [(String, JSONValue?)] {
        var out: [(String, JSONValue?)] = []
        if let h = svc.hostname {
            if KubeValues.isName(h) { out.append(("hostname", J.s(h))) } else { lost("\(base).hostname", "a pod's hostname is a DNS label, not \"\(h)\"") }
        }
        switch svc.networkMode {
        case .host?: out.append(("hostNetwork", .bool(true)))
        case .none?: lost("\(base).network_mode", "a pod always has a network")
        case .service(let s)?, .container(let s)?: lost("\(base).network_mode", "pods do not share a network namespace with \(s)'s")
        default: break
        }
        if svc.pid == .host { out.append(("hostPID", .bool(true))) } else { lost("\(base).pid", "only the host's PID namespace can be shared (hostPID)") }
        if svc.ipc == .host { out.append(("hostIPC", .bool(true))) } else { lost("\(base).ipc", "only the host's IPC namespace can be shared (hostIPC)") }
        lost("\(base).uts", "a pod cannot share the host's UTS namespace")
        var hosts: [String: [String]] = [:]
        for (i, e) in svc.extraHosts.enumerated() {
            let sep = e.firstIndex(of: "=") ?? e.firstIndex(of: ":")
            guard let sep else { continue }
            let host = String(e[..<sep]), ip = String(e[e.index(after: sep)...]).trimmingCharacters(in: ["[", "]"])
            if ip == "host-gateway" { lost("\(base).extra_hosts[\(i)]", "a cluster has no host-gateway address") } else { hosts[ip, default: []].append(host) }
        }
        if !hosts.isEmpty {
            out.append(("hostAliases", .array(hosts.keys.sorted().map { J.o([("ip", J.s($0)), ("hostnames", J.strings(hosts[$0] ?? []))]) })))
        }
        if svc.dns != nil || svc.dnsSearch != nil {
            // Cluster DNS first (service names keep resolving), then the spec's servers and domains.
            out.append(("dnsConfig", J.o([("nameservers", svc.dns.map(J.strings)), ("searches", svc.dnsSearch.map(J.strings))])))
        }
        var podSecurity: [(String, JSONValue?)] = []
        if !svc.sysctls.isEmpty {
            podSecurity.append(("sysctls", .array(svc.sysctls.keys.sorted().map { J.o([("name", J.s($0)), ("value", J.s(svc.sysctls[$0] ?? ""))]) })))
        }
        if let groups = svc.groupAdd {
            let ids = groups.compactMap { Int64($0) }
            if ids.count == groups.count { podSecurity.append(("supplementalGroups", .array(ids.map { J.i($0) }))) }
            else { lost("\(base).group_add", "Kubernetes takes numeric group IDs (supplementalGroups)") }
        }
        if !podSecurity.isEmpty { out.append(("securityContext", J.o(podSecurity))) }
        let none = "Kubernetes has no per-container setting for it"
        for key in ["cpu_shares", "cpu_quota", "cpu_period", "cpuset", "memswap_limit", "oom_kill_disable", "oom_score_adj",
                    "blkio_config", "cgroup", "cgroup_parent", "ulimits"] {
            lost("\(base).\(key)", none)
        }
        lost("\(base).devices", "pods reach host devices through device plugins, not by path")
        lost("\(base).container_name", "pods are named by their controller")
        lost("\(base).links", "pods reach other services by their Service names")
        lost("\(base).logging", "the node's container runtime decides log drivers and rotation")
        if svc.stopSignal != "SIGTERM" { lost("\(base).stop_signal", "pods are stopped with SIGTERM") }
        if svc.`init` { lost("\(base).init", "Kubernetes runs no init process in the container (shareProcessNamespace makes the pause container reap zombies)") }
        for (n, s) in svc.networks.sorted(by: { $0.key < $1.key }) {
            if s.ipv4Address != nil { lost("\(base).networks.\(n).ipv4_address", "pods get their addresses from the cluster") }
            if s.ipv6Address != nil { lost("\(base).networks.\(n).ipv6_address", "pods get their addresses from the cluster") }
            if s.priority != 0 { lost("\(base).networks.\(n).priority", "a pod has one network interface") }
        }
        return out
    }

    /// Waits for each dependency's Service before the container starts (Kubernetes has no start order).
    private mutating func initContainers(_ base: String, _ svc: ServiceSpec) -> JSONValue? {
        var out: [JSONValue] = []
        for dep in svc.dependsOn.keys.sorted() {
            guard let d = svc.dependsOn[dep], let target = app.services[dep] else { continue }
            let p = "\(base).depends_on.\(dep)"
            if d.condition == .serviceCompletedSuccessfully {
                lostAlways(p, "service_completed_successfully: a pod cannot wait for another to finish (make \(dep) a Job, or an initContainer of this service)")
                continue
            }
            let host = KubeValues.name(dep)
            // A ClusterIP Service answers once a ready pod is behind it; a headless one's name
            // resolves once a pod is ready.
            let probe = containerPorts(target).first { $0.proto == "TCP" }.map { "nc -z -w 2 \(host) \($0.port)" } ?? "nslookup \(host) >/dev/null 2>&1"
            if d.restart { lost("\(p).restart", "Kubernetes does not restart a service when its dependency is updated") }
            if !d.required { lost("\(p).required", "the wait for \(dep) is required: the pod does not start until \(dep) answers") }
            let what = d.condition == .serviceHealthy ? "ready (its readiness probe passes)" : "started"
            out.append(J.o([
                ("name", J.s("wait-for-\(host)")),
                ("image", J.s(images.reference((try? ImageReference(parsing: Self.waitImage)) ?? ImageReference(domain: "docker.io", path: "library/busybox", tag: "1.36", digest: nil)))),
                ("command", J.strings(["sh", "-c", "until \(probe); do echo waiting for \(host) to be \(what); sleep 1; done"])),
            ]))
        }
        return out.isEmpty ? nil : .array(out)
    }
}
