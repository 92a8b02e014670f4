import CNCCore

extension SpecReader {
    static let serviceKeys = [
        "image", "build", "command", "entrypoint", "environment", "env_file", "working_dir", "user", "hostname",
        "container_name", "labels", "ports", "expose", "networks", "network_mode", "links", "volumes", "tmpfs",
        "read_only", "restart", "healthcheck", "depends_on", "stop_signal", "stop_grace_period", "init", "cap_add",
        "cap_drop", "security_opt", "ulimits", "sysctls", "extra_hosts", "logging", "pull_policy", "profiles",
        "scale", "configs", "secrets", "deploy", "cpus", "cpu_shares", "cpu_quota", "cpu_period", "cpuset",
        "mem_limit", "mem_reservation", "memswap_limit", "oom_kill_disable", "oom_score_adj", "pids_limit",
        "blkio_config", "devices", "shm_size", "cgroup", "privileged", "pid", "ipc", "uts", "userns_mode", "group_add", "cgroup_parent", "dns", "dns_search", "develop", "x-cnc",
    ]

    static let serviceKeySet = KeySet(serviceKeys)

    static let signals = [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
        "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
        "SIGIO", "SIGPWR", "SIGSYS",
    ]

    static let capabilities = [
        "ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN",
        "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
        "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
        "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT",
        "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME",
        "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
    ]

    static let ulimitNames = Ulimit.names

    /// Compose's build keys cnc's builder does not implement: refused at the key, plainly.
    static let buildKeysNotSupported = [
        "ssh": "build ssh agents (RUN --mount=type=ssh is not supported by cnc build yet)",
        "cache_from": "external build caches (cnc's build cache lives in the state root)",
        "cache_to": "external build caches (cnc's build cache lives in the state root)",
        "additional_contexts": "additional build contexts", "platforms": "multi-platform builds",
        "privileged": "privileged builds", "entitlements": "build entitlements", "isolation": "build isolation modes",
        "ulimits": "build ulimits",
    ]
    static let buildKeys = ["context", "dockerfile", "dockerfile_inline", "args", "target", "labels", "tags", "no_cache",
                            "network", "extra_hosts", "shm_size", "pull", "secrets"] + buildKeysNotSupported.keys.sorted()

    func readService(_ name: String, _ node: YAMLNode) -> ServiceSpec? {
        let path = "services.\(name)"
        guard let f = fields(node, path, allowed: Self.serviceKeySet) else { return nil }
        var s = ServiceSpec()

        if let n = f["image"], !n.isNull, let text = string(n, f.path("image"), allowEmpty: false) {
            do { s.image = try ImageReference(parsing: text) } catch {
                self.error(n, f.path("image"), "\"\(text)\" is not an image reference (examples: nginx, nginx:1.27, registry.example.com/team/app@sha256:...)")
            }
        }
        if let n = f["build"], !n.isNull { s.build = readBuild(n, f.path("build")) }
        if let n = f["command"], !n.isNull { s.command = commandLine(n, f.path("command")) }
        if let n = f["entrypoint"], !n.isNull { s.entrypoint = commandLine(n, f.path("entrypoint")) }
        s.environment = readEnvironment(f)
        s.workingDir = optionalString(f, "working_dir", allowEmpty: false)
        if let w = s.workingDir, !w.hasPrefix("/") { error(f["working_dir"]?.mark, f.path("working_dir"), "\"\(w)\" must be an absolute path") }
        s.user = optionalString(f, "user", allowEmpty: false)
        s.hostname = optionalString(f, "hostname", allowEmpty: false)
        if let h = s.hostname, !Names.isHostname(h) {
            error(f["hostname"]?.mark, f.path("hostname"), "\"\(h)\" is not a valid hostname (letters, digits and '-', dot-separated labels of at most 63)")
        }
        s.containerName = optionalString(f, "container_name", allowEmpty: false)
        if let c = s.containerName, !Names.isContainerName(c) {
            error(f["container_name"]?.mark, f.path("container_name"), "\"\(c)\" is not a valid container name (must match [a-zA-Z0-9][a-zA-Z0-9_.-]+)")
        }
        if let n = f["labels"] { s.labels = stringMap(n, f.path("labels")) }
        if let n = f["ports"] { s.ports = readPorts(n, f.path("ports")) }
        if let n = f["expose"] { s.expose = readExpose(n, f.path("expose")) }
        if let n = f["networks"] { s.networks = readServiceNetworks(n, f.path("networks")) }
        if let n = f["network_mode"], let text = string(n, f.path("network_mode")) {
            if let m = NetworkMode(composeNetworkMode: text) { s.networkMode = m } else {
                error(n, f.path("network_mode"), "\"\(text)\" is not a network mode (valid: none, host, bridge, container:NAME, service:NAME)")
            }
        }
        if s.networkMode != nil, let n = f["networks"], !s.networks.isEmpty {
            error(n, f.path("networks"), "cannot be used together with network_mode")
        }
        if let n = f["links"], let l = stringList(n, f.path("links")) { s.links = l }
        if let n = f["volumes"] { s.volumes = readServiceVolumes(n, f.path("volumes")) }
        if let n = f["tmpfs"] {
            let list: [(String, SourceMark)]? = if case .scalar = n.content { string(n, f.path("tmpfs")).map { [($0, n.mark)] } } else { markedStrings(n, f.path("tmpfs")) }
            for (i, (t, m)) in (list ?? []).enumerated() {
                if t.hasPrefix("/") { s.tmpfs.append(t) } else {
                    error(m, "\(f.path("tmpfs"))[\(i)]", "\"\(t)\" must start with an absolute container path")
                }
            }
        }
        if let b = optionalBool(f, "read_only") { s.readOnly = b }
        if let n = f["restart"], let text = string(n, f.path("restart")) {
            if let r = text.isEmpty ? RestartPolicy() : try? RestartPolicy(parsing: text) { s.restart = r } else {
                error(n, f.path("restart"), "\"\(text)\" is not a restart policy (valid: no, always, on-failure[:N], unless-stopped)\(Suggest.hint(text, in: ["no", "always", "on-failure", "unless-stopped"]))")
            }
        }
        if let n = f["healthcheck"] { s.healthcheck = readHealthcheck(n, f.path("healthcheck")) }
        if let n = f["depends_on"] { s.dependsOn = readDependsOn(n, f.path("depends_on")) }
        if let n = f["stop_signal"], let text = string(n, f.path("stop_signal")) {
            let sig = text.hasPrefix("SIG") ? text : "SIG" + text
            if Self.signals.contains(sig) { s.stopSignal = sig } else if let num = Int(text), (1...64).contains(num) {
                s.stopSignal = text
            } else {
                error(n, f.path("stop_signal"), "\"\(text)\" is not a signal (examples: SIGTERM, SIGINT, SIGQUIT)\(Suggest.hint(sig, in: Self.signals))")
            }
        }
        if let n = f["stop_grace_period"], let d = duration(n, f.path("stop_grace_period")) {
            if d.nanoseconds < 0 { error(n, f.path("stop_grace_period"), "must not be negative") } else { s.stopGracePeriod = d }
        }
        if let b = optionalBool(f, "init") { s.`init` = b }
        s.capAdd = readCapabilities(f, "cap_add")
        s.capDrop = readCapabilities(f, "cap_drop")
        if let n = f["security_opt"], let l = stringList(n, f.path("security_opt")) {
            // A seccomp profile file is relative to the spec's directory, as Compose reads it.
            s.securityOpt = l.map { o in
                for p in ["seccomp=", "seccomp:"] where o.hasPrefix(p) {
                    let v = String(o.dropFirst(p.count))
                    if v != "unconfined" && !v.hasPrefix("{") && !v.isEmpty { return "seccomp=" + resolvePath(v, from: n) }
                }
                return o
            }
        }
        if let n = f["ulimits"] { s.ulimits = readUlimits(n, f.path("ulimits")) }
        if let n = f["sysctls"] { s.sysctls = stringMap(n, f.path("sysctls")) }
        if let n = f["extra_hosts"] { s.extraHosts = readExtraHosts(n, f.path("extra_hosts")) }
        if let n = f["dns"], let servers = stringOrList(n, f.path("dns")) {
            for server in servers where !IPAddress.isIPv4(server) && !IPAddress.isIPv6(server) {
                error(n, f.path("dns"), "\"\(server)\" is not an IP address (example: 192.0.2.53)")
            }
            s.dns = servers
        }
        if let n = f["dns_search"], let domains = stringOrList(n, f.path("dns_search")) { s.dnsSearch = domains }
        if let n = f["logging"], let l = readLogging(n, f.path("logging")) { s.logging = l }
        if let b = optionalBool(f, "privileged") { s.privileged = b }
        if let n = f["group_add"], let l = stringList(n, f.path("group_add")) { s.groupAdd = l }
        if let n = f["userns_mode"] { s.usernsMode = usernsMode(n, f.path("userns_mode")) }
        for key in ["pid", "ipc", "uts"] {
            guard let n = f[key], let text = string(n, f.path(key)) else { continue }
            let valid = key == "ipc" ? ["host", "private", "shareable"] : ["host", "private"]
            guard valid.contains(text), let mode = NamespaceMode(rawValue: text) else {
                error(n, f.path(key), "\"\(text)\" is not supported (valid: \(valid.joined(separator: ", ")); another container's namespace only for network_mode)")
                continue
            }
            switch key {
            case "pid": s.pid = mode
            case "ipc": s.ipc = mode
            default: s.uts = mode
            }
        }
        if let n = f["cgroup"], let text = string(n, f.path("cgroup")) {
            if text == "host" || text == "private", let mode = NamespaceMode(rawValue: text) { s.cgroup = mode } else {
                error(n, f.path("cgroup"), "\"\(text)\" is not a cgroup namespace mode (valid: host, private)")
            }
        }
        if let n = f["pull_policy"], let text = string(n, f.path("pull_policy")) {
            if text == "if_not_present" { s.pullPolicy = .missing } else if let p = PullPolicy(rawValue: text) { s.pullPolicy = p } else {
                let names = PullPolicy.allCases.map(\.rawValue)
                error(n, f.path("pull_policy"), "\"\(text)\" is not a pull policy (valid: \(names.joined(separator: ", ")))\(Suggest.hint(text, in: names))")
            }
        }
        if let n = f["profiles"], let l = markedStrings(n, f.path("profiles")) {
            for (i, (p, m)) in l.enumerated() where !Names.isProfile(p) {
                error(m, "\(f.path("profiles"))[\(i)]", "\"\(p)\" is not a valid profile name (must match [a-zA-Z0-9][a-zA-Z0-9_.-]*)")
            }
            s.profiles = l.map(\.0)
        }
        if let n = f["configs"] { s.configs = readFileReferences(n, f.path("configs"), defaultDir: "/") }
        if let n = f["secrets"] { s.secrets = readFileReferences(n, f.path("secrets"), defaultDir: "/run/secrets/") }
        readDeployAndCgroups(f, into: &s)
        if let n = f["x-cnc"] { s.cnc = readServiceCNC(n, f.path("x-cnc")) }
        if let n = f["develop"], !n.isNull { s.develop = readDevelop(n, f.path("develop"), hasBuild: s.build != nil) }
        if s.image == nil, s.build == nil, !hasImageError(f) {
            error(mark(path) ?? node.mark, path, "has neither image nor build (one of them is required)")
        }
        return s
    }

    private func hasImageError(_ f: Fields) -> Bool { f["image"].map { !$0.isNull } ?? false }

    func readBuild(_ node: YAMLNode, _ path: String) -> BuildSpec? {
        if case .scalar = node.content {
            guard let ctx = string(node, path, allowEmpty: false) else { return nil }
            return BuildSpec(context: resolvePath(ctx, from: node))
        }
        guard let f = fields(node, path, allowed: KeySet(Self.buildKeys)) else { return nil }
        for (key, what) in Self.buildKeysNotSupported.sorted(by: { $0.key < $1.key }) {
            if f.has(key) { error(f.keyMark(key), f.path(key), "not supported yet: \(what)") }
        }
        var ctxNode = node
        var ctx = "."
        if let n = f["context"], let c = string(n, f.path("context"), allowEmpty: false) { ctx = c; ctxNode = n }
        var b = BuildSpec(context: resolvePath(ctx, from: ctxNode))
        if let d = optionalString(f, "dockerfile", allowEmpty: false) { b.dockerfile = d }
        b.dockerfileInline = optionalString(f, "dockerfile_inline", allowEmpty: false)
        if b.dockerfileInline != nil, f["dockerfile"] != nil {
            error(f.keyMark("dockerfile_inline"), f.path("dockerfile_inline"), "dockerfile and dockerfile_inline are mutually exclusive (give one)")
        }
        if let n = f["args"], let entries = listOrDict(n, f.path("args")) {
            for (k, v, _) in entries { b.args[k] = v ?? variables[k] ?? "" }
        }
        b.target = optionalString(f, "target", allowEmpty: false)
        if let n = f["labels"] { b.labels = stringMap(n, f.path("labels")) }
        if let n = f["tags"], let tags = stringList(n, f.path("tags")) {
            for (i, t) in tags.enumerated() where (try? ImageReference(parsing: t)) == nil {
                error(n, "\(f.path("tags"))[\(i)]", "\"\(t)\" is not an image reference (examples: web, registry.example.com/team/web:1.2)")
            }
            b.tags = tags
        }
        b.noCache = optionalBool(f, "no_cache")
        b.pull = optionalBool(f, "pull")
        if let network = optionalString(f, "network", allowEmpty: false) {
            if ["default", "none", "host"].contains(network) {
                b.network = network
            } else {
                error(f["network"]?.mark, f.path("network"), "network mode \"\(network)\" not supported by buildkit (use default, none or host)")
            }
        }
        if let n = f["extra_hosts"] { b.extraHosts = readExtraHosts(n, f.path("extra_hosts")) }
        if let n = f["shm_size"], let v = positiveSize(n, f.path("shm_size")) { b.shmSize = v }
        if let n = f["secrets"] { b.secrets = readFileReferences(n, f.path("secrets"), defaultDir: "") }
        return b
    }

    /// A command as a list; the string form splits like a POSIX shell would (quotes, escapes).
    func commandLine(_ node: YAMLNode, _ path: String) -> [String]? {
        if case .sequence = node.content { return stringList(node, path) }
        guard let text = string(node, path) else { return nil }
        switch ShellWords.split(text) {
        case .success(let words): return words
        case .failure(let why):
            error(node, path, why.message)
            return nil
        }
    }

    func readEnvironment(_ f: Fields) -> [String: String?] {
        var env: [String: String?] = [:]
        if let n = f["env_file"] {
            for (file, required, fileNode) in readEnvFileList(n, f.path("env_file")) {
                let resolved = resolvePath(file, from: fileNode)
                let bytes: [UInt8]?
                do { bytes = try sealed.read(resolved, shown: file) } catch {
                    self.error(fileNode, f.path("env_file"), "\(error)")
                    continue
                }
                guard let bytes else {
                    if required { error(fileNode, f.path("env_file"), "cannot read env file \(file)") }
                    continue
                }
                envFilesRead.insert(resolved)
                do {
                    let entries = try EnvFile.parse(String(decoding: bytes, as: UTF8.self), base: variables)
                    if SealedInputs.isEncrypted(resolved) { sealed.remember(entries, from: file) }
                    for (k, v) in entries { env[k] = v }
                } catch {
                    self.error(fileNode, f.path("env_file"), "\(file):\(error.line): \(error.message)")
                }
            }
        }
        if let n = f["environment"], let entries = listOrDict(n, f.path("environment")) {
            for (k, v, m) in entries {
                if k.isEmpty || k.contains(" ") {
                    error(m, f.path("environment"), "\"\(k)\" is not a valid variable name")
                    continue
                }
                env[k] = .some(v ?? variables[k])
            }
        }
        return env
    }

    private func readEnvFileList(_ node: YAMLNode, _ path: String) -> [(String, Bool, YAMLNode)] {
        var items: [YAMLNode] = []
        switch node.content {
        case .scalar: items = [node]
        case .sequence(let s): items = s
        case .mapping:
            error(node, path, "must be a path or a list of paths, not a mapping")
            return []
        }
        var out: [(String, Bool, YAMLNode)] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            if case .mapping = item.content {
                guard let f = fields(item, p, allowed: ["path", "required", "format"]) else { continue }
                guard let pn = f["path"], let file = string(pn, f.path("path"), allowEmpty: false) else {
                    if f["path"] == nil { error(item, p, "path is required") }
                    continue
                }
                out.append((file, optionalBool(f, "required") ?? true, pn))
            } else if let file = string(item, p, allowEmpty: false) {
                out.append((file, true, item))
            }
        }
        return out
    }

    func readServiceNetworks(_ node: YAMLNode, _ path: String) -> [String: ServiceNetworkSpec] {
        var out: [String: ServiceNetworkSpec] = [:]
        if case .sequence = node.content {
            for (name, item) in namedItems(node, path) {
                if out[name] != nil { error(item, path, "network \"\(name)\" is listed twice") }
                out[name] = ServiceNetworkSpec()
            }
            return out
        }
        for (name, value, _) in entries(node, path) {
            let p = "\(path).\(name)"
            var spec = ServiceNetworkSpec()
            if !value.isNull, let f = fields(value, p, allowed: ["aliases", "ipv4_address", "ipv6_address", "priority"]) {
                if let n = f["aliases"], let a = stringList(n, f.path("aliases")) { spec.aliases = a }
                if let n = f["ipv4_address"], let a = string(n, f.path("ipv4_address")) {
                    if IPAddress.isIPv4(a) { spec.ipv4Address = a } else { error(n, f.path("ipv4_address"), "\"\(a)\" is not an IPv4 address") }
                }
                if let n = f["ipv6_address"], let a = string(n, f.path("ipv6_address")) {
                    if IPAddress.isIPv6(a) { spec.ipv6Address = a } else { error(n, f.path("ipv6_address"), "\"\(a)\" is not an IPv6 address") }
                }
                if let n = f["priority"], let v = int(n, f.path("priority")) { spec.priority = Int(v) }
            }
            out[name] = spec
        }
        return out
    }

    /// A list of names, each recorded at `path.name` for later errors about it.
    func namedItems(_ node: YAMLNode, _ path: String) -> [(String, YAMLNode)] {
        guard case .sequence(let items) = node.content else { return [] }
        var out: [(String, YAMLNode)] = []
        for (i, item) in items.enumerated() {
            guard let name = string(item, "\(path)[\(i)]", allowEmpty: false) else { continue }
            out.append((name, item))
        }
        return out
    }

    func readDependsOn(_ node: YAMLNode, _ path: String) -> [String: DependencySpec] {
        var out: [String: DependencySpec] = [:]
        if case .sequence = node.content {
            for (name, _) in namedItems(node, path) { out[name] = DependencySpec() }
            return out
        }
        for (name, value, _) in entries(node, path) {
            let p = "\(path).\(name)"
            var d = DependencySpec()
            if let f = fields(value, p, allowed: ["condition", "restart", "required"]) {
                if let n = f["condition"], let c = choice(n, f.path("condition"), DependencySpec.Condition.self, what: "a dependency condition") {
                    d.condition = c
                }
                if let b = optionalBool(f, "restart") { d.restart = b }
                if let b = optionalBool(f, "required") { d.required = b }
            }
            out[name] = d
        }
        return out
    }

    func readCapabilities(_ f: Fields, _ key: String) -> [String] {
        guard let n = f[key], let list = markedStrings(n, f.path(key)) else { return [] }
        var out: Set<String> = []
        for (i, (raw, m)) in list.enumerated() {
            var cap = raw.uppercased()
            if cap.hasPrefix("CAP_") { cap.removeFirst(4) }
            if Self.capabilities.contains(cap) { out.insert(cap) } else {
                error(m, "\(f.path(key))[\(i)]", "\"\(raw)\" is not a Linux capability\(Suggest.hint(cap, in: Self.capabilities))")
            }
        }
        return out.sorted()
    }

    func readUlimits(_ node: YAMLNode, _ path: String) -> Ulimits {
        var out: [Ulimit] = []
        for (name, value, keyMark) in entries(node, path) {
            let p = "\(path).\(name)"
            guard Self.ulimitNames.contains(name) else {
                error(keyMark, p, "unknown ulimit\(Suggest.hint(name, in: Self.ulimitNames)) (valid: \(Self.ulimitNames.joined(separator: ", ")))")
                continue
            }
            if case .scalar = value.content {
                if let v = int(value, p, min: -1), let u = try? Ulimit(name: name, soft: v, hard: v) { out.append(u) }
                continue
            }
            guard let f = fields(value, p, allowed: ["soft", "hard"]) else { continue }
            guard let sn = f["soft"], let hn = f["hard"] else {
                error(value, p, "needs both soft and hard")
                continue
            }
            if let soft = int(sn, f.path("soft"), min: -1), let hard = int(hn, f.path("hard"), min: -1) {
                if hard != -1, soft == -1 || soft > hard {
                    error(sn, f.path("soft"), "soft limit \(soft) is above the hard limit \(hard)")
                } else if let u = try? Ulimit(name: name, soft: soft, hard: hard) {
                    out.append(u)
                }
            }
        }
        return Ulimits(out)
    }

    func readExtraHosts(_ node: YAMLNode, _ path: String) -> [String] {
        var out: [String] = []
        func add(_ host: String, _ ip: String, _ n: YAMLNode, _ p: String) {
            let addr = ip.hasPrefix("[") && ip.hasSuffix("]") ? String(ip.dropFirst().dropLast()) : ip
            guard !host.isEmpty, IPAddress.isIPv4(addr) || IPAddress.isIPv6(addr) || addr == "host-gateway" else {
                error(n, p, "\"\(host)=\(ip)\" is not HOST=IP (example: db.local=10.0.0.5)")
                return
            }
            out.append("\(host)=\(addr)")
        }
        switch node.content {
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                guard let s = string(item, "\(path)[\(i)]") else { continue }
                if let eq = s.firstIndex(of: "=") {
                    add(String(s[..<eq]), String(s[s.index(after: eq)...]), item, "\(path)[\(i)]")
                } else if let colon = s.firstIndex(of: ":") {
                    add(String(s[..<colon]), String(s[s.index(after: colon)...]), item, "\(path)[\(i)]")
                } else {
                    error(item, "\(path)[\(i)]", "\"\(s)\" is not HOST=IP (example: db.local=10.0.0.5)")
                }
            }
        case .mapping:
            for (host, value, _) in entries(node, path) {
                if case .sequence = value.content {
                    for ip in stringList(value, "\(path).\(host)") ?? [] { add(host, ip, value, "\(path).\(host)") }
                } else if let ip = string(value, "\(path).\(host)") {
                    add(host, ip, value, "\(path).\(host)")
                }
            }
        default:
            error(node, path, "must be a list of HOST=IP or a mapping, not \(node.kindDescription)")
        }
        return out
    }

    func readFileReferences(_ node: YAMLNode, _ path: String, defaultDir: String) -> [FileReference] {
        var out: [FileReference] = []
        for (i, item) in sequenceItems(node, path) {
            let p = "\(path)[\(i)]"
            if case .scalar = item.content {
                if let name = string(item, p, allowEmpty: false) { out.append(FileReference(source: name, target: defaultDir + name)) }
                continue
            }
            guard let f = fields(item, p, allowed: ["source", "target", "uid", "gid", "mode"]) else { continue }
            guard let sn = f["source"], let source = string(sn, f.path("source"), allowEmpty: false) else {
                if f["source"] == nil { error(item, p, "source is required") }
                continue
            }
            var target = optionalString(f, "target", allowEmpty: false) ?? source
            if !target.hasPrefix("/") { target = defaultDir + target }
            var ref = FileReference(source: source, target: target)
            ref.uid = optionalString(f, "uid")
            ref.gid = optionalString(f, "gid")
            if let n = f["mode"] { ref.mode = fileMode(n, f.path("mode")) }
            out.append(ref)
        }
        return out
    }

    /// A permission mode: `0440` (octal, as Compose reads it) or `288`.
    func fileMode(_ node: YAMLNode, _ path: String) -> Int? {
        guard let s = string(node, path) else { return nil }
        let text = s.hasPrefix("0o") ? String(s.dropFirst(2)) : s
        let value = (text.hasPrefix("0") || s.hasPrefix("0o")) ? Int(text, radix: 8) : Int(text)
        guard let v = value, (0...0o7777).contains(v) else {
            error(node, path, "\"\(s)\" is not a file mode (examples: 0440, 0644)")
            return nil
        }
        return v
    }

    func readServiceCNC(_ node: YAMLNode, _ path: String) -> ServiceCNCSettings {
        var c = ServiceCNCSettings()
        guard let f = fields(node, path, allowed: ["health_gate_timeout", "watch", "watch_ignore", "export"]) else { return c }
        if let n = f["health_gate_timeout"], let d = duration(n, f.path("health_gate_timeout")) {
            if d.nanoseconds <= 0 { error(n, f.path("health_gate_timeout"), "must be greater than 0") } else { c.healthGateTimeout = d }
        }
        if let n = f["watch"], let l = stringList(n, f.path("watch")) { c.watch = l.map { resolvePath($0, from: n) } }
        if let n = f["watch_ignore"], let l = stringList(n, f.path("watch_ignore")) { c.watchIgnore = l }
        if let b = optionalBool(f, "export") { c.export = b }
        return c
    }
}

extension SpecReader {
    /// A `userns_mode` / `x-cnc.userns` value in UsernsMode's canonical spelling.
    func usernsMode(_ n: YAMLNode, _ path: @autoclosure () -> String) -> String? {
        guard let text = string(n, path()) else { return nil }
        do {
            return try UsernsMode(parsing: text, rootless: rootless).text
        } catch let e as CNCError {
            let valid = rootless ? "host, auto, auto:size=N, keep-id, keep-id:uid=N,gid=N, nomap, CONTAINER:HOST:SIZE[,...]"
                : "host, auto, auto:size=N, CONTAINER:HOST:SIZE[,...]"
            error(n, path(), "\"\(text)\": \(e.message) (valid: \(valid))")
            return nil
        } catch { return nil }
    }
}
