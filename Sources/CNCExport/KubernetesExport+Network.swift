import CNCCore
import CNCSpec

extension KubernetesExport {
    /// The ClusterIP Service named after the service (and one per network alias), and a
    /// LoadBalancer (NodePort when the host port is left to the host) for published ports.
    mutating func addServices(_ name: String, _ kname: String, _ svc: ServiceSpec, ports: [ContainerPort], headless: Bool) {
        let base = "services.\(name)"
        var appProtocols: [ContainerPort: String] = [:]
        for (i, p) in svc.ports.enumerated() {
            if let a = p.appProtocol { appProtocols[ContainerPort(port: p.target, proto: p.protocol.rawValue.uppercased())] = a }
            lost("\(base).ports[\(i)].name", "Service ports are named PROTOCOL-PORT (tcp-8080)")
        }
        let specPorts = JSONValue.array(ports.map { J.o([("name", J.s($0.name)), ("port", J.i($0.port)), ("targetPort", J.i($0.port)), ("protocol", J.s($0.proto)),
                                                         ("appProtocol", appProtocols[$0].map(J.s))]) })
        // Every service gets its name: with its ports a ClusterIP Service, without known ports
        // a headless one (the name resolves to the ready pods' addresses, any port reaches them).
        let noPorts = ports.isEmpty
        // endpoint_mode dnsrr: the name answers with the replicas' addresses, as a headless Service does.
        let dnsrr = svc.deploy.endpointMode == .dnsrr
        let spec = J.o([("selector", J.map(selector(name))), ("ports", noPorts ? nil : specPorts), ("clusterIP", noPorts || headless || dnsrr ? J.s("None") : nil)])
        add("Service", "v1", kname, [("spec", spec)])
        var aliases = Set<String>()
        for s in svc.networks.values { aliases.formUnion(s.aliases) }
        for alias in aliases.sorted() {
            let aname = KubeValues.name(alias)
            if aname != alias || app.services[alias] != nil || aname == kname {
                lostAlways("\(base).networks", "the alias \"\(alias)\" cannot be a Service name of its own")
                continue
            }
            add("Service", "v1", aname, [("spec", spec)])
        }
        if !svc.links.isEmpty { lost("\(base).links", "pods reach other services by their Service names") }

        let balanced = svc.ports.enumerated().filter { $0.element.mode != .host || $0.element.published == nil }
        guard svc.cnc.export, !balanced.isEmpty else { return }
        var published: [JSONValue] = []
        var fixed = true
        var seen = Set<String>()
        for (i, p) in balanced {
            let proto = p.protocol.rawValue.uppercased()
            if let r = p.published, r.count > 1 {
                lost("\(base).ports[\(i)]", "a Service publishes one port per entry: \(r) becomes \(r.start)")
            }
            if let ip = p.hostIP, ip != "0.0.0.0", ip != "::" {
                lostAlways("\(base).ports[\(i)]", "host_ip \(ip): a LoadBalancer listens on the addresses the cluster gives it")
            }
            if p.published == nil { fixed = false }
            let port = p.published?.start ?? p.target
            let pname = "\(proto.lowercased())-\(port)"
            guard seen.insert(pname).inserted else { continue }
            published.append(J.o([("name", J.s(pname)), ("port", J.i(port)), ("targetPort", J.i(p.target)), ("protocol", J.s(proto))]))
        }
        add("Service", "v1", "\(kname)-published", [("spec", J.o([("type", J.s(fixed ? "LoadBalancer" : "NodePort")),
                                                                  ("selector", J.map(selector(name))), ("ports", .array(published))]))])
    }

    /// One policy per network (its pods accept traffic from each other), one per service with
    /// published ports (reachable from anywhere), and, for services only on internal networks,
    /// egress to those networks and to the cluster's DNS.
    mutating func addNetworkPolicies() {
        var used = Set<String>()
        for svc in app.services.values { used.formUnion(networks(of: svc)) }
        for n in used.sorted() {
            let label = [Self.networkLabelPrefix + KubeValues.name(n): "true"]
            let peer = J.o([("podSelector", J.o([("matchLabels", J.map(label))]))])
            // The network's labels label its policy.
            var labels: [String: String] = [:], annotations: [String: String] = [:]
            sortLabels(app.networks[n]?.labels ?? [:], "networks.\(n).labels", labels: &labels, annotations: &annotations)
            let policy = "network-\(KubeValues.name(n))"
            add("NetworkPolicy", "networking.k8s.io/v1", policy, metadata: metadata(policy, labels: labels, annotations: annotations), [("spec", J.o([
                ("podSelector", J.o([("matchLabels", J.map(label))])),
                ("policyTypes", J.strings(["Ingress"])),
                ("ingress", .array([J.o([("from", .array([peer]))])])),
            ]))])
            guard let spec = app.networks[n] else { continue }
            if spec.driver != .bridge { lost("networks.\(n).driver", "pod networking is the cluster's (its CNI plugin)") }
            lost("networks.\(n).ipam", "pod addresses come from the cluster")
            lost("networks.\(n).driver_opts", "pod networking is the cluster's (its CNI plugin)")
            lost("networks.\(n).external", "the policy selects this app's pods on it; other pods are not labelled")
        }
        for name in app.services.keys.sorted() {
            guard let svc = app.services[name] else { continue }
            let kname = KubeValues.name(name)
            if svc.cnc.export, !svc.ports.isEmpty {
                let ports = Set(svc.ports.map { ContainerPort(port: $0.target, proto: $0.protocol.rawValue.uppercased()) }).sorted { ($0.port, $0.proto) < ($1.port, $1.proto) }
                add("NetworkPolicy", "networking.k8s.io/v1", "published-\(kname)", [("spec", J.o([
                    ("podSelector", J.o([("matchLabels", J.map(selector(name)))])),
                    ("policyTypes", J.strings(["Ingress"])),
                    ("ingress", .array([J.o([("ports", .array(ports.map { J.o([("port", J.i($0.port)), ("protocol", J.s($0.proto))]) }))])])),
                ]))])
            }
            let nets = networks(of: svc)
            guard !nets.isEmpty, nets.allSatisfy({ app.networks[$0]?.internal == true }) else { continue }
            let peers = nets.map { J.o([("podSelector", J.o([("matchLabels", J.map([Self.networkLabelPrefix + KubeValues.name($0): "true"]))]))]) }
            let dns = J.o([
                ("to", .array([J.o([("namespaceSelector", J.o([])), ("podSelector", J.o([("matchLabels", J.map(["k8s-app": "kube-dns"]))]))])])),
                ("ports", .array(["UDP", "TCP"].map { J.o([("port", J.i(53)), ("protocol", J.s($0))]) })),
            ])
            add("NetworkPolicy", "networking.k8s.io/v1", "internal-\(kname)", [("spec", J.o([
                ("podSelector", J.o([("matchLabels", J.map(selector(name)))])),
                ("policyTypes", J.strings(["Egress"])),
                ("egress", .array([J.o([("to", .array(peers))]), dns])),
            ]))])
        }
    }
}
