import CNCCore

/// The checks that need the whole typed spec: references between sections, dependency cycles,
/// port collisions, replicas against fixed names and ports. Pure; reports every problem.
struct SpecValidator {
    let reader: SpecReader

    func validate(_ app: AppSpec) {
        for name in app.services.keys.sorted() {
            guard let s = app.services[name] else { continue }
            checkReferences(name, s, app)
            checkStaticAddresses(name, s, app)
            checkReplicas(name, s)
        }
        checkCycles(app)
        checkPorts(app)
        checkContainerNames(app)
    }

    /// The services the active `profiles` enable (those without `profiles:`, and those sharing
    /// one with `profiles`; `*` enables all). An enabled service that needs a disabled one is an
    /// error at its depends_on entry, as in Compose.
    func enabled(_ app: AppSpec, profiles: Set<String>) -> [String: ServiceSpec] {
        let on = app.services.filter { $0.value.profiles.isEmpty || profiles.contains("*") || !profiles.isDisjoint(with: $0.value.profiles) }
        for name in on.keys.sorted() {
            for (dep, d) in (on[name]?.dependsOn ?? [:]).sorted(by: { $0.key < $1.key }) where d.required && on[dep] == nil {
                guard let other = app.services[dep] else { continue }
                err("services.\(name).depends_on.\(dep)", "service \"\(dep)\" is not enabled by the active profiles (it has profiles: \(other.profiles.joined(separator: ", ")); add --profile \(other.profiles.first ?? ""))")
            }
        }
        return on
    }

    private func err(_ path: String, _ message: String) {
        let p = source(path)
        reader.error(reader.mark(p), p, message)
    }

    /// The path as written in the file (normalization can expand or drop list items).
    private func source(_ path: String) -> String { reader.sourcePaths[path] ?? path }

    private func checkReferences(_ name: String, _ s: ServiceSpec, _ app: AppSpec) {
        let base = "services.\(name)"
        // Only needed for a suggestion, so only computed for an error.
        var services: [String] { app.services.keys.sorted().filter { $0 != name } }
        for dep in s.dependsOn.keys.sorted() {
            if dep == name { err("\(base).depends_on.\(dep)", "a service cannot depend on itself") }
            else if app.services[dep] == nil, s.dependsOn[dep]?.required ?? true {
                err("\(base).depends_on.\(dep)", "unknown service \"\(dep)\"\(Suggest.hint(dep, in: services))")
            }
        }
        if case .service(let other)? = s.networkMode {
            if other == name { err("\(base).network_mode", "a service cannot share its own network namespace") }
            else if app.services[other] == nil { err("\(base).network_mode", "unknown service \"\(other)\"\(Suggest.hint(other, in: services))") }
        }
        for (i, link) in s.links.enumerated() {
            let target = String(link.split(separator: ":").first ?? "")
            if app.services[target] == nil { err("\(base).links[\(i)]", "unknown service \"\(target)\"\(Suggest.hint(target, in: services))") }
        }
        let networks = app.networks.keys.sorted()
        for net in s.networks.keys.sorted() where net != "default" && app.networks[net] == nil {
            err("\(base).networks.\(net)", "undefined network \"\(net)\" (define it under the top-level networks:)\(Suggest.hint(net, in: networks))")
        }
        for (i, v) in s.volumes.enumerated() where v.type == .volume {
            if let src = v.source, app.volumes[src] == nil {
                err("\(base).volumes[\(i)]", "undefined volume \"\(src)\" (define it under the top-level volumes:, or write ./\(src) for a bind mount)\(Suggest.hint(src, in: app.volumes.keys.sorted()))")
            }
        }
        for (i, c) in s.configs.enumerated() where app.configs[c.source] == nil {
            err("\(base).configs[\(i)]", "undefined config \"\(c.source)\"\(Suggest.hint(c.source, in: app.configs.keys.sorted()))")
        }
        for (i, c) in s.secrets.enumerated() where app.secrets[c.source] == nil {
            err("\(base).secrets[\(i)]", "undefined secret \"\(c.source)\"\(Suggest.hint(c.source, in: app.secrets.keys.sorted()))")
        }
        for (i, c) in (s.build?.secrets ?? []).enumerated() where app.secrets[c.source] == nil {
            err("\(base).build.secrets[\(i)]", "undefined secret \"\(c.source)\"\(Suggest.hint(c.source, in: app.secrets.keys.sorted()))")
        }
    }

    /// A static `ipv4_address` must lie in one of its network's IPv4 subnets, when the network
    /// configures any (else the engine picks the subnet and checks the address at attach time).
    private func checkStaticAddresses(_ name: String, _ s: ServiceSpec, _ app: AppSpec) {
        for net in s.networks.keys.sorted() {
            guard let address = s.networks[net]?.ipv4Address else { continue }
            let subnets = (app.networks[net]?.ipam?.config ?? []).compactMap(\.subnet).filter { IPAddress.ipv4(address, isIn: $0) != nil }
            guard !subnets.isEmpty, !subnets.contains(where: { IPAddress.ipv4(address, isIn: $0) == true }) else { continue }
            let which = subnets.count == 1 ? "the subnet \(subnets[0])" : "any of the subnets \(subnets.joined(separator: ", "))"
            err("services.\(name).networks.\(net).ipv4_address",
                "\"\(address)\" is not in \(which) of network \"\(net)\" (networks.\(net).ipam.config)")
        }
    }

    private func checkReplicas(_ name: String, _ s: ServiceSpec) {
        let base = "services.\(name)"
        guard s.deploy.replicas > 1 else { return }
        let where_ = reader.sourceMap.contains("\(base).scale") ? "scale" : "deploy.replicas"
        if let c = s.containerName {
            err("\(base).container_name", "container_name \"\(c)\" is fixed but \(where_) is \(s.deploy.replicas): each replica needs its own name (remove container_name)")
        }
        for (i, p) in s.ports.enumerated() {
            if let pub = p.published, pub.count < s.deploy.replicas {
                err("\(base).ports[\(i)]", "host port \(pub) is fixed but \(where_) is \(s.deploy.replicas): replicas cannot share it (use a range of at least \(s.deploy.replicas) ports or leave the host port out)")
            }
        }
    }

    /// Every dependency cycle once, printed as `a -> b -> a`.
    private func checkCycles(_ app: AppSpec) {
        var state: [String: Int] = [:] // 1 visiting, 2 done
        var stack: [String] = []
        var reported: Set<String> = []
        func visit(_ n: String) {
            state[n] = 1
            stack.append(n)
            for dep in (app.services[n]?.dependsOn.keys.sorted() ?? []) where app.services[dep] != nil && dep != n {
                if state[dep] == 1 {
                    guard let start = stack.firstIndex(of: dep) else { continue }
                    let cycle = Array(stack[start...])
                    // Report each cycle once, from its smallest member.
                    let minIdx = cycle.indices.min { cycle[$0] < cycle[$1] } ?? 0
                    let rotated = Array(cycle[minIdx...] + cycle[..<minIdx])
                    let key = rotated.joined(separator: ",")
                    if reported.insert(key).inserted, let head = rotated.first {
                        let next = rotated.count > 1 ? rotated[1] : head
                        err("services.\(head).depends_on.\(next)", "dependency cycle: \((rotated + [head]).joined(separator: " -> "))")
                    }
                } else if state[dep] == nil {
                    visit(dep)
                }
            }
            stack.removeLast()
            state[n] = 2
        }
        for n in app.services.keys.sorted() where state[n] == nil { visit(n) }
    }

    /// Two published ports collide when protocol matches, host ports overlap and the host IPs
    /// overlap (an unspecified IP or 0.0.0.0 overlaps every address).
    private func checkPorts(_ app: AppSpec) {
        struct Use { let path: String; let ip: String?; let range: PortRange; let proto: PortProtocol; let order: (Int, Int) }
        var all: [Use] = []
        let order = serviceOrder()
        for name in app.services.keys.sorted() {
            guard let s = app.services[name] else { continue }
            for (i, p) in s.ports.enumerated() {
                guard let r = p.published, r.start != 0 else { continue }
                let ip = (p.hostIP == "0.0.0.0" || p.hostIP == "::") ? nil : p.hostIP
                let path = source("services.\(name).ports[\(i)]")
                all.append(Use(path: path, ip: ip, range: r, proto: p.protocol, order: (order[name] ?? 0, i)))
            }
        }
        // File order, so the later of two colliding ports is the one reported.
        all.sort { a, b in a.order != b.order ? a.order < b.order : a.path < b.path }
        // Index by protocol and port so a thousand services stay linear; ranges wider than
        // `indexed` ports (rare) are checked against everything instead.
        struct PortKey: Hashable { let proto: PortProtocol; let port: Int }
        let indexed = 1024
        var byPort: [PortKey: [Use]] = [:]
        var wide: [Use] = []
        for u in all {
            var candidates = wide
            if u.range.count > indexed {
                candidates += byPort.values.joined()
            } else {
                for port in u.range.start...u.range.end { candidates += byPort[PortKey(proto: u.proto, port: port)] ?? [] }
            }
            if let other = candidates.first(where: { $0.proto == u.proto && $0.range.overlaps(u.range) && ($0.ip == nil || u.ip == nil || $0.ip == u.ip) }) {
                let shown = (u.ip.map { "\($0):" } ?? "") + "\(u.range)/\(u.proto.rawValue)"
                let otherLine = reader.mark(other.path).map { " (line \($0.line))" } ?? ""
                reader.error(reader.mark(u.path), u.path, "host port \(shown) is already published by \(other.path)\(otherLine)")
            } else if u.range.count > indexed {
                wide.append(u)
            } else {
                for port in u.range.start...u.range.end { byPort[PortKey(proto: u.proto, port: port), default: []].append(u) }
            }
        }
    }

    /// Each service's position in the (merged) document, so reports follow file order.
    private func serviceOrder() -> [String: Int] {
        guard case .mapping(let top)? = reader.sourceMap.root?.content,
              case .mapping(let services)? = top.first(where: { $0.key.scalar == "services" })?.value.content
        else { return [:] }
        var order: [String: Int] = [:]
        for (i, pair) in services.enumerated() { if let k = pair.key.scalar { order[k] = i } }
        return order
    }

    private func checkContainerNames(_ app: AppSpec) {
        var seen: [String: String] = [:]
        for name in app.services.keys.sorted() {
            guard let c = app.services[name]?.containerName else { continue }
            if let other = seen[c] { err("services.\(name).container_name", "container name \"\(c)\" is already used by service \(other)") }
            else { seen[c] = name }
        }
    }
}
