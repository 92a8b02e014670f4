import CNCCore

extension SpecReader {
    static let topLevelKeys = ["version", "name", "services", "networks", "volumes", "configs", "secrets", "include", "x-cnc"]

    /// The whole (merged, interpolated) document -> AppSpec. `projectName` is already decided.
    func readApp(_ root: YAMLNode, projectName: String) -> AppSpec {
        var app = AppSpec(name: projectName)
        guard let f = fields(root, "", allowed: KeySet(Self.topLevelKeys), what: "a mapping (services:, networks:, ...)") else { return app }
        if let n = f["version"] {
            warn(n.mark, "version", "the top-level version is obsolete in Compose and ignored")
        }
        if let n = f["services"] {
            for (name, spec) in readServices(entries(n, "services")) { app.services[name] = spec }
        } else {
            error(root.mark, "services", "is required: a spec needs at least one service")
        }
        if let n = f["networks"] {
            for (key, value, keyMark) in entries(n, "networks") {
                guard checkKey(key, keyMark, "networks") else { continue }
                app.networks[key] = readNetwork(key, value, "networks.\(key)", project: projectName)
            }
        }
        if let n = f["volumes"] {
            for (key, value, keyMark) in entries(n, "volumes") {
                guard checkKey(key, keyMark, "volumes") else { continue }
                app.volumes[key] = readVolume(key, value, "volumes.\(key)", project: projectName)
            }
        }
        if let n = f["configs"] {
            for (key, value, keyMark) in entries(n, "configs") {
                guard checkKey(key, keyMark, "configs") else { continue }
                if let c = readFileObject(key, value, "configs.\(key)", project: projectName, allowContent: true) { app.configs[key] = c }
            }
        }
        if let n = f["secrets"] {
            for (key, value, keyMark) in entries(n, "secrets") {
                guard checkKey(key, keyMark, "secrets") else { continue }
                if let c = readFileObject(key, value, "secrets.\(key)", project: projectName, allowContent: false) { app.secrets[key] = c }
            }
        }
        if let n = f["x-cnc"] { app.cnc = readCNC(n, "x-cnc") }
        if let mode = app.cnc.userns {
            for (name, var s) in app.services where s.usernsMode == nil {
                s.usernsMode = mode
                app.services[name] = s
            }
        }
        // Compose's implicit network: services without networks join `default`.
        for (name, var s) in app.services where s.networkMode == nil && s.networks.isEmpty {
            s.networks["default"] = ServiceNetworkSpec()
            app.services[name] = s
        }
        if app.networks["default"] == nil, app.services.values.contains(where: { $0.networks["default"] != nil }) {
            app.networks["default"] = NetworkSpec(name: "\(projectName)_default")
        }
        return app
    }

    private func checkKey(_ key: String, _ mark: SourceMark, _ section: String) -> Bool {
        guard Names.isResourceKey(key) else {
            error(mark, "\(section).\(key)", "invalid name (must match [a-zA-Z0-9._-]+)")
            return false
        }
        return true
    }

    func readCNC(_ node: YAMLNode, _ path: String) -> CNCSettings {
        var c = CNCSettings()
        guard !node.isNull, let f = fields(node, path, allowed: ["cgroup_driver", "revision_history", "userns"]) else { return c }
        if let n = f["userns"] { c.userns = usernsMode(n, f.path("userns")) }
        if let n = f["cgroup_driver"], let d = choice(n, f.path("cgroup_driver"), CgroupDriverSetting.self, what: "a cgroup driver") {
            c.cgroupDriver = d
        }
        if let n = f["revision_history"], let v = int(n, f.path("revision_history"), min: 1, max: 10_000) { c.revisionHistory = Int(v) }
        return c
    }

    /// `name:` for an external resource or one named explicitly, else `<project>_<key>`.
    private func resourceName(_ f: Fields?, key: String, project: String, external: Bool) -> String {
        if let f, let n = optionalString(f, "name", allowEmpty: false) { return n }
        return external ? key : "\(project)_\(key)"
    }

    private func readExternal(_ f: Fields) -> Bool {
        guard let n = f["external"] else { return false }
        if case .mapping = n.content {
            // Legacy `external: {name: x}`.
            if let ef = fields(n, f.path("external"), allowed: ["name"]), optionalString(ef, "name") != nil {
                warn(n.mark, f.path("external"), "external.name is deprecated: use name: with external: true")
            }
            return true
        }
        return bool(n, f.path("external")) ?? false
    }

    /// Settings on an external resource are errors, except ones that restate the defaults
    /// (which is what `cncapply config` prints for it).
    private func rejectWithExternal(_ f: Fields, _ keys: [String]) {
        let defaults: Set<String> = ["bridge", "local", "false", "{}", "default"]
        for k in keys where f.has(k) {
            if let n = f[k] {
                switch n.content {
                case .scalar(let s) where defaults.contains(s): continue
                case .mapping(let p) where p.isEmpty: continue
                case .sequence(let i) where i.isEmpty: continue
                default: break
                }
            }
            error(f.keyMark(k), f.path(k), "cannot be set on an external resource (it is managed outside this app)")
        }
    }

    func readNetwork(_ key: String, _ node: YAMLNode, _ path: String, project: String) -> NetworkSpec {
        if node.isNull { return NetworkSpec(name: "\(project)_\(key)") }
        guard let f = fields(node, path, allowed: ["name", "driver", "driver_opts", "ipam", "internal", "external", "labels", "attachable", "enable_ipv6"]) else {
            return NetworkSpec(name: "\(project)_\(key)")
        }
        let external = readExternal(f)
        var net = NetworkSpec(name: resourceName(f, key: key, project: project, external: external))
        net.external = external
        if external { rejectWithExternal(f, ["driver", "driver_opts", "ipam", "internal", "labels"]) }
        if let n = f["driver"], let d = choice(n, f.path("driver"), NetworkDriver.self, what: "a network driver") { net.driver = d }
        if let n = f["driver_opts"] { net.driverOpts = stringMap(n, f.path("driver_opts")) }
        if let n = f["labels"] { net.labels = stringMap(n, f.path("labels")) }
        if let b = optionalBool(f, "internal") { net.internal = b }
        _ = optionalBool(f, "attachable")
        _ = optionalBool(f, "enable_ipv6")
        if let n = f["ipam"], let ipf = fields(n, f.path("ipam"), allowed: ["driver", "config", "options"]) {
            var ipam = IPAMSpec()
            if let d = optionalString(ipf, "driver", allowEmpty: false) {
                if d == "default" { ipam.driver = d } else { error(ipf["driver"]?.mark, ipf.path("driver"), "\"\(d)\" is not supported (valid: default)") }
            }
            if let cn = ipf["config"] {
                for (i, item) in sequenceItems(cn, ipf.path("config")) {
                    let p = "\(ipf.path("config"))[\(i)]"
                    guard let pf = fields(item, p, allowed: ["subnet", "gateway", "ip_range", "aux_addresses"]) else { continue }
                    var pool = IPAMPool()
                    if let sn = pf["subnet"], let s = string(sn, pf.path("subnet")) {
                        if IPAddress.isCIDR(s) { pool.subnet = s } else { error(sn, pf.path("subnet"), "\"\(s)\" is not a subnet (example: 172.28.0.0/16)") }
                    }
                    if let gn = pf["gateway"], let g = string(gn, pf.path("gateway")) {
                        if IPAddress.isIPv4(g) || IPAddress.isIPv6(g) { pool.gateway = g } else { error(gn, pf.path("gateway"), "\"\(g)\" is not an IP address") }
                        if pool.subnet == nil, pf["subnet"] == nil { error(gn, pf.path("gateway"), "needs a subnet") }
                    }
                    if let rn = pf["ip_range"], let r = string(rn, pf.path("ip_range")) {
                        if IPAddress.isCIDR(r) { pool.ipRange = r } else { error(rn, pf.path("ip_range"), "\"\(r)\" is not a CIDR range (example: 172.28.5.0/24)") }
                    }
                    ipam.config.append(pool)
                }
            }
            net.ipam = ipam
        }
        if net.driver == .host || net.driver == .none, f.has("ipam") {
            error(f.keyMark("ipam"), f.path("ipam"), "a \(net.driver.rawValue) network has no IP addresses to manage")
        }
        return net
    }

    func readVolume(_ key: String, _ node: YAMLNode, _ path: String, project: String) -> VolumeSpec {
        if node.isNull { return VolumeSpec(name: "\(project)_\(key)") }
        guard let f = fields(node, path, allowed: ["name", "driver", "driver_opts", "external", "labels"]) else {
            return VolumeSpec(name: "\(project)_\(key)")
        }
        let external = readExternal(f)
        var v = VolumeSpec(name: resourceName(f, key: key, project: project, external: external))
        v.external = external
        if external { rejectWithExternal(f, ["driver", "driver_opts", "labels"]) }
        if let n = f["driver"], let d = choice(n, f.path("driver"), VolumeDriver.self, what: "a volume driver") { v.driver = d }
        if let n = f["driver_opts"] { v.driverOpts = stringMap(n, f.path("driver_opts")) }
        if let n = f["labels"] { v.labels = stringMap(n, f.path("labels")) }
        return v
    }

    func readFileObject(_ key: String, _ node: YAMLNode, _ path: String, project: String, allowContent: Bool) -> ConfigSpec? {
        var allowed = ["name", "file", "environment", "external"]
        if allowContent { allowed.append("content") }
        guard let f = fields(node, path, allowed: KeySet(allowed)) else { return nil }
        let external = readExternal(f)
        var c = ConfigSpec(name: resourceName(f, key: key, project: project, external: external))
        c.external = external
        let sources = ["file", "environment", "content"].filter { f.has($0) }
        if external {
            rejectWithExternal(f, ["file", "environment", "content"])
        } else if sources.isEmpty {
            error(node.mark, path, "needs one of \(allowContent ? "file, environment or content" : "file or environment")")
        } else if sources.count > 1 {
            error(f.keyMark(sources[1]), path, "sets both \(sources[0]) and \(sources[1]): use one")
        }
        if let n = f["file"], let p = string(n, f.path("file"), allowEmpty: false) { c.file = resolvePath(p, from: n) }
        if let n = f["environment"], let v = string(n, f.path("environment"), allowEmpty: false) {
            if variables[v] == nil { error(n, f.path("environment"), "variable \(v) is not set") }
            c.environment = v
        }
        c.content = optionalString(f, "content")
        return c
    }
}
