import CNCCore
import CNCSpec

extension KubernetesExport {
    /// One service: its workload and the Services that name it.
    mutating func addService(_ name: String, _ svc: ServiceSpec) throws {
        let kname = kubeName(name)
        let base = "services.\(name)"
        let ports = containerPorts(svc)
        let claims = ownedVolumeClaims(name, svc)
        let kind: String
        if svc.deploy.mode == .global {
            kind = "DaemonSet"
        } else if svc.deploy.replicas > 1, !claims.isEmpty {
            kind = "StatefulSet"
            lostAlways("\(base).volumes", "replicas share the volume\(claims.count == 1 ? "" : "s") \(claims.joined(separator: ", ")) on one host; the StatefulSet gives each replica its own PersistentVolumeClaim (\(claims[0])-\(kname)-0, -1, ...)")
        } else {
            kind = "Deployment"
            let shared = Set(svc.volumes.compactMap { $0.type == .volume ? $0.source : nil }).filter { app.volumes[$0] != nil }.sorted()
            if svc.deploy.replicas > 1, !shared.isEmpty {
                lostAlways("\(base).volumes", "not a StatefulSet: \(shared.joined(separator: ", ")) is shared with other services or external, so its \(svc.deploy.replicas) replicas share one ReadWriteOnce claim, which mounts on one node only")
            }
        }
        addServices(name, kname, svc, ports: ports, headless: kind == "StatefulSet")

        var labels = selector(name)
        var annotations: [String: String] = [:]
        sortLabels(svc.labels, "\(base).labels", labels: &labels, annotations: &annotations)
        if svc.cnc.healthGateTimeout != ServiceCNCSettings().healthGateTimeout { annotations["x-cnc/health_gate_timeout"] = svc.cnc.healthGateTimeout.description }
        if !svc.cnc.watch.isEmpty { annotations["x-cnc/watch"] = svc.cnc.watch.joined(separator: ",") }
        if !svc.cnc.watchIgnore.isEmpty { annotations["x-cnc/watch_ignore"] = svc.cnc.watchIgnore.joined(separator: ",") }
        var podLabels = labels
        for n in networks(of: svc) { podLabels[Self.networkLabelPrefix + KubeValues.name(n)] = "true" }
        let pod = try podSpec(name, kname, svc, ports: ports, claimTemplates: kind == "StatefulSet" ? Set(claims) : [])
        let template = J.o([("metadata", J.o([("labels", J.map(podLabels)), ("annotations", annotations.isEmpty ? nil : J.map(annotations))])),
                            ("spec", pod)])
        var spec: [(String, JSONValue?)] = [("selector", J.o([("matchLabels", J.map(selector(name)))])), ("template", template)]
        if svc.deploy.mode != .global { spec.append(("replicas", J.i(svc.deploy.replicas))) }
        if written.contains("\(base).deploy.update_config.monitor") { spec.append(("minReadySeconds", J.i(KubeValues.seconds(svc.deploy.updateConfig.monitor, minimum: 0)))) }
        switch kind {
        case "Deployment": spec.append(("strategy", J.o([("type", J.s("RollingUpdate")), ("rollingUpdate", rollingUpdate(svc))])))
        case "DaemonSet": spec.append(("updateStrategy", J.o([("type", J.s("RollingUpdate")), ("rollingUpdate", rollingUpdate(svc))])))
        default:
            spec.append(("serviceName", J.s(kname)))
            spec.append(("updateStrategy", J.o([("type", J.s("RollingUpdate"))])))
            if svc.deploy.updateConfig.order == .startFirst {
                lost("\(base).deploy.update_config.order", "a StatefulSet replaces its pods one at a time, stopping each before starting its successor (stop-first)")
            }
            var templates: [JSONValue] = []
            for c in claims { templates.append(claimTemplate(c)) }
            spec.append(("volumeClaimTemplates", .array(templates)))
        }
        updateLosses(base, svc)
        // deploy.labels label the workload (as a swarm's label the service), not its pods.
        var workloadLabels = labels, workloadAnnotations = annotations
        sortLabels(svc.deploy.labels ?? [:], "\(base).deploy.labels", labels: &workloadLabels, annotations: &workloadAnnotations)
        add(kind, "apps/v1", kname, metadata: metadata(kname, labels: workloadLabels, annotations: workloadAnnotations), [("spec", J.o(spec))])
    }

    /// Labels Kubernetes accepts become labels; the others annotations, reported (nothing selects them).
    mutating func sortLabels(_ given: [String: String], _ path: String, labels: inout [String: String], annotations: inout [String: String]) {
        for k in given.keys.sorted() {
            guard let v = given[k] else { continue }
            if KubeValues.isLabel(k, v) { labels[k] = v; continue }
            annotations[k] = v
            let why = KubeValues.isLabelKey(k) ? "the value \"\(v)\" is not a valid label value (at most 63 of A-Z, a-z, 0-9, '-', '_', '.', alphanumeric at both ends)"
                                               : "\"\(k)\" is not a valid label name"
            lost("\(path).\(k)", "\(why): kept as an annotation, which selectors cannot match")
        }
    }

    /// start-first: a new pod before an old one stops; stop-first: the reverse (Docker's default).
    func rollingUpdate(_ svc: ServiceSpec) -> JSONValue {
        let startFirst = svc.deploy.updateConfig.order == .startFirst
        return J.o([("maxSurge", J.i(startFirst ? 1 : 0)), ("maxUnavailable", J.i(startFirst ? 0 : 1))])
    }

    private mutating func updateLosses(_ base: String, _ svc: ServiceSpec) {
        let u = svc.deploy.updateConfig, d = UpdateConfig()
        let p = "\(base).deploy.update_config"
        if u.parallelism != d.parallelism { lost("\(p).parallelism", "a rolling update replaces one pod at a time here (maxSurge/maxUnavailable 1)") }
        if u.delay != d.delay { lost("\(p).delay", "Kubernetes has no pause between replaced pods (minReadySeconds comes from monitor)") }
        if u.failureAction != d.failureAction { lost("\(p).failure_action", "a Deployment does not roll back or pause by itself on failure: it stops progressing (kubectl rollout undo rolls back)") }
        if u.maxFailureRatio != d.maxFailureRatio { lost("\(p).max_failure_ratio", "Kubernetes has no failure ratio for rollouts") }
        lost("\(base).deploy.rollback_config", "Kubernetes rolls back with `kubectl rollout undo`, by the update strategy")
        if let r = svc.deploy.restartPolicy, r.condition != .any || r.maxAttempts != nil || r.delay != .zero || r.window != .zero {
            lost("\(base).deploy.restart_policy", "the pods of a \(svc.deploy.mode == .global ? "DaemonSet" : "Deployment") always restart (restartPolicy Always, with the kubelet's back-off)")
        }
        if svc.restart.name == .no || svc.restart.name == .onFailure {
            lost("\(base).restart", "the pods of a \(svc.deploy.mode == .global ? "DaemonSet" : "Deployment") always restart (restartPolicy Always)")
        }
        lost("\(base).deploy.resources.limits.pids", "Kubernetes limits pids per node (the kubelet's podPidsLimit), not per container")
    }

    /// Named volumes only this service mounts (a StatefulSet's claim templates when replicated).
    func ownedVolumeClaims(_ name: String, _ svc: ServiceSpec) -> [String] {
        let mine = Set(svc.volumes.compactMap { $0.type == .volume ? $0.source : nil })
        return mine.filter { v in
            guard let spec = app.volumes[v], !spec.external else { return false }
            return !app.services.contains { $0.key != name && $0.value.volumes.contains { $0.type == .volume && $0.source == v } }
        }.map { KubeValues.name($0) }.sorted()
    }

    mutating func claimTemplate(_ name: String) -> JSONValue {
        let (labels, annotations) = volumeLabels(name)
        return J.o([("metadata", J.o([("name", J.s(name)), ("labels", labels.isEmpty ? nil : J.map(labels)),
                                      ("annotations", annotations.isEmpty ? nil : J.map(annotations))])), ("spec", claimSpec())])
    }

    /// The labels of the named volume a claim is made for (those Kubernetes refuses: annotations, reported).
    mutating func volumeLabels(_ claim: String) -> (labels: [String: String], annotations: [String: String]) {
        var labels: [String: String] = [:], annotations: [String: String] = [:]
        if let key = app.volumes.keys.sorted().first(where: { KubeValues.name($0) == claim }), let v = app.volumes[key] {
            sortLabels(v.labels, "volumes.\(key).labels", labels: &labels, annotations: &annotations)
        }
        return (labels, annotations)
    }

    func claimSpec() -> JSONValue {
        J.o([("accessModes", J.strings(["ReadWriteOnce"])), ("resources", J.o([("requests", J.map(["storage": "1Gi"]))]))])
    }

    /// The ports other services reach: the targets of `ports` and the `expose` entries, sorted.
    func containerPorts(_ svc: ServiceSpec) -> [ContainerPort] {
        var set = Set<ContainerPort>()
        for p in svc.ports { set.insert(ContainerPort(port: p.target, proto: p.protocol.rawValue.uppercased())) }
        for e in svc.expose {
            let parts = e.split(separator: "/")
            let proto = parts.count > 1 ? String(parts[1]).uppercased() : "TCP"
            if let first = parts.first, let r = PortRange(parsing: String(first)) {
                for port in r.start...r.end where port > 0 { set.insert(ContainerPort(port: port, proto: proto)) }
            }
        }
        return set.sorted { ($0.port, $0.proto) < ($1.port, $1.proto) }
    }
}

/// A port a container listens on.
struct ContainerPort: Hashable {
    var port: Int
    /// TCP, UDP or SCTP.
    var proto: String
    /// An IANA service name Kubernetes accepts (at most 15 characters, with a letter).
    var name: String { "\(proto.lowercased())-\(port)" }
}
