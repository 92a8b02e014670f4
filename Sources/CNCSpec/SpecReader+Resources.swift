import CNCCore

extension SpecReader {
    func readHealthcheck(_ node: YAMLNode, _ path: String) -> HealthcheckSpec? {
        guard let f = fields(node, path, allowed: ["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"]) else { return nil }
        var h = HealthcheckSpec(test: [])
        let disabled = optionalBool(f, "disable") ?? false
        if let n = f["test"] {
            if case .sequence = n.content, let list = stringList(n, f.path("test")) {
                let kinds = ["CMD", "CMD-SHELL", "NONE"]
                if let first = list.first, kinds.contains(first) {
                    if first != "NONE", list.count < 2 { error(n, f.path("test"), "\(first) needs a command after it") }
                    h.test = list
                } else {
                    error(n, f.path("test"), "a list test starts with CMD, CMD-SHELL or NONE (example: [\"CMD\", \"curl\", \"-f\", \"http://localhost\"])")
                }
            } else if let s = string(n, f.path("test"), allowEmpty: false) {
                h.test = ["CMD-SHELL", s]
            }
        } else if !disabled {
            error(node, path, "test is required (or disable: true)")
        }
        func dur(_ key: String, _ set: (CNCDuration) -> Void) {
            guard let n = f[key], let d = duration(n, f.path(key)) else { return }
            if d.nanoseconds < 0 { error(n, f.path(key), "must not be negative") }
            else if d.nanoseconds == 0, key == "interval" || key == "timeout" { error(n, f.path(key), "must be greater than 0") }
            else { set(d) }
        }
        dur("interval") { h.interval = $0 }
        dur("timeout") { h.timeout = $0 }
        dur("start_period") { h.startPeriod = $0 }
        dur("start_interval") { h.startInterval = $0 }
        if let n = f["retries"], let r = int(n, f.path("retries"), min: 0, max: 1_000_000) { h.retries = Int(r) }
        if disabled || h.test == ["NONE"] {
            h.disable = true
            h.test = ["NONE"]
        }
        return h
    }

    func readLogging(_ node: YAMLNode, _ path: String) -> LoggingSpec? {
        guard let f = fields(node, path, allowed: ["driver", "options"]) else { return nil }
        var l = LoggingSpec()
        if let n = f["driver"], let d = choice(n, f.path("driver"), LoggingSpec.Driver.self, what: "a logging driver") { l.driver = d }
        if let n = f["options"], !n.isNull {
            let allowed: [String] = switch l.driver {
            case .jsonFile: ["max-size", "max-file", "tag"]
            case .journald: ["tag"]
            case .none: []
            }
            guard let o = fields(n, f.path("options"), allowed: KeySet(allowed)) else { return l }
            if let sn = o["max-size"], let s = size(sn, o.path("max-size")) {
                if s.bytes <= 0 { error(sn, o.path("max-size"), "must be greater than 0") } else { l.options.maxSize = s }
            }
            if let mn = o["max-file"], let m = int(mn, o.path("max-file"), min: 1, max: 10_000) { l.options.maxFile = Int(m) }
            l.options.tag = optionalString(o, "tag")
            if l.options.maxFile != nil, l.options.maxSize == nil, let mn = o["max-file"] {
                error(mn, o.path("max-file"), "needs max-size (files rotate when they reach it)")
            }
        }
        return l
    }

    // MARK: deploy and cgroup controls

    func readDeployAndCgroups(_ f: Fields, into s: inout ServiceSpec) {
        var d = DeploySpec()
        var deployReplicas: (Int, YAMLNode)?
        if let n = f["deploy"], !n.isNull, let df = fields(n, f.path("deploy"), allowed: ["mode", "replicas", "resources", "update_config", "rollback_config", "restart_policy", "labels", "endpoint_mode"]) {
            if let en = df["endpoint_mode"], let e = choice(en, df.path("endpoint_mode"), EndpointMode.self, what: "an endpoint mode"), e != .vip {
                d.endpointMode = e
            }
            if let mn = df["mode"], let m = string(mn, df.path("mode")), m != "replicated" {
                // global: one task per node; this host is the one node, so one replica (as Compose runs it).
                if let mode = DeployMode(rawValue: m) { d.mode = mode } else {
                    error(mn, df.path("mode"), "\"\(m)\" is not supported (valid: replicated, global)")
                }
            }
            if let rn = df["replicas"], let r = int(rn, df.path("replicas"), min: 0, max: 10_000) {
                if d.mode == .global {
                    error(rn, df.path("replicas"), "replicas can only be used with replicated mode (deploy.mode is global)")
                } else { d.replicas = Int(r); deployReplicas = (Int(r), rn) }
            }
            if let rn = df["resources"] { d.resources = readResources(rn, df.path("resources")) }
            if let un = df["update_config"] { d.updateConfig = readUpdateConfig(un, df.path("update_config")) }
            if let un = df["rollback_config"] { d.rollbackConfig = readUpdateConfig(un, df.path("rollback_config")) }
            if let rn = df["restart_policy"] { d.restartPolicy = readDeployRestart(rn, df.path("restart_policy")) }
            if let ln = df["labels"] { let l = stringMap(ln, df.path("labels")); d.labels = l.isEmpty ? nil : l }
        }
        if let n = f["scale"], d.mode == .global {
            error(n, f.path("scale"), "scale can only be used with replicated mode (deploy.mode is global)")
        } else if let n = f["scale"], let v = int(n, f.path("scale"), min: 0, max: 10_000) {
            if let (r, rn) = deployReplicas, r != Int(v) {
                error(n, f.path("scale"), "scale \(v) conflicts with deploy.replicas \(r) (line \(rn.mark.line)): set one")
            }
            d.replicas = Int(v)
        }

        // Service-level controls fold into deploy.resources; both set and different is an error.
        if let n = f["cpus"], !n.isNull, let c = cpus(n, f.path("cpus")) {
            if let other = d.resources.limits.cpus, other != c {
                error(n, f.path("cpus"), "cpus \(c) conflicts with deploy.resources.limits.cpus \(other): set one")
            }
            d.resources.limits.cpus = c
        }
        if let n = f["mem_limit"], !n.isNull, let m = positiveSize(n, f.path("mem_limit")) {
            if let other = d.resources.limits.memory, other != m {
                error(n, f.path("mem_limit"), "mem_limit \(m) conflicts with deploy.resources.limits.memory \(other): set one")
            }
            d.resources.limits.memory = m
        }
        if let n = f["mem_reservation"], !n.isNull, let m = positiveSize(n, f.path("mem_reservation")) {
            if let other = d.resources.reservations.memory, other != m {
                error(n, f.path("mem_reservation"), "mem_reservation \(m) conflicts with deploy.resources.reservations.memory \(other): set one")
            }
            d.resources.reservations.memory = m
        }
        if let n = f["pids_limit"], !n.isNull, let p = int(n, f.path("pids_limit")) {
            if p == -1 {
                // -1 is Docker's "unlimited": the same as no limit.
            } else if p <= 0 {
                error(n, f.path("pids_limit"), "must be greater than 0 (or -1 for unlimited), not \(p)")
            } else {
                if let other = d.resources.limits.pids, other != p {
                    error(n, f.path("pids_limit"), "pids_limit \(p) conflicts with deploy.resources.limits.pids \(other): set one")
                }
                d.resources.limits.pids = p
            }
        }
        let lim = d.resources.limits, res = d.resources.reservations
        if let r = res.memory, let l = lim.memory, r > l {
            let p = f.has("mem_reservation") ? f.path("mem_reservation") : f.path("deploy.resources.reservations.memory")
            error(mark(p), p,
                  "memory reservation \(r) is above the memory limit \(l)")
        }
        if let r = res.cpus, let l = lim.cpus, r > l {
            error(mark(f.path("deploy.resources.reservations.cpus")), f.path("deploy.resources.reservations.cpus"), "CPU reservation \(r) is above the CPU limit \(l)")
        }

        if let n = f["cpu_shares"], let v = int(n, f.path("cpu_shares"), min: 2, max: 262_144) { s.cpuShares = v }
        if let n = f["cpu_period"], let v = int(n, f.path("cpu_period")) {
            if (1000...1_000_000).contains(v) { s.cpuPeriod = v } else {
                error(n, f.path("cpu_period"), "\(v) is not a valid CFS period (1000 to 1000000 microseconds)")
            }
        }
        if let n = f["cpu_quota"], let v = int(n, f.path("cpu_quota")) {
            if v != -1, v < 1000 {
                error(n, f.path("cpu_quota"), "\(v) is not a valid CFS quota (at least 1000 microseconds, or -1 for none)")
            } else if f.has("cpu_period"), s.cpuPeriod == nil {
                error(n, f.path("cpu_quota"), "needs a valid cpu_period")
            } else {
                s.cpuQuota = v
            }
            if lim.cpus != nil, v != -1 {
                error(n, f.path("cpu_quota"), "conflicts with cpus (both set the CPU limit): set one")
            }
        } else if let n = f["cpu_period"], s.cpuPeriod != nil, lim.cpus != nil {
            error(n, f.path("cpu_period"), "conflicts with cpus (cpus uses the default 100ms period): set one")
        }
        if let n = f["cpuset"], let v = string(n, f.path("cpuset"), allowEmpty: false) {
            if Self.isCPUSet(v) { s.cpuset = v } else { error(n, f.path("cpuset"), "\"\(v)\" is not a CPU list (examples: 0, 0-3, 0,2-3)") }
        }
        if let n = f["memswap_limit"], !n.isNull {
            if n.int == -1 || n.scalar == "-1" { s.memswapLimit = ByteSize(bytes: -1) }
            else if let m = positiveSize(n, f.path("memswap_limit")) {
                if let l = lim.memory {
                    if m < l { error(n, f.path("memswap_limit"), "memswap_limit \(m) is below the memory limit \(l) (it counts memory plus swap)") }
                    else { s.memswapLimit = m }
                } else {
                    error(n, f.path("memswap_limit"), "needs mem_limit (it counts memory plus swap)")
                }
            }
        }
        if let b = optionalBool(f, "oom_kill_disable") {
            s.oomKillDisable = b
            if b, lim.memory == nil { warn(f["oom_kill_disable"]?.mark, f.path("oom_kill_disable"), "without a memory limit the host may run out of memory") }
        }
        if let n = f["oom_score_adj"], let v = int(n, f.path("oom_score_adj"), min: -1000, max: 1000) { s.oomScoreAdj = v }
        if let n = f["shm_size"], let v = positiveSize(n, f.path("shm_size")) { s.shmSize = v }
        if let n = f["blkio_config"] { s.blkioConfig = readBlkio(n, f.path("blkio_config")) }
        if let n = f["devices"] { s.devices = readDevices(n, f.path("devices")) }
        s.cgroupParent = optionalString(f, "cgroup_parent", allowEmpty: false)
        s.deploy = d
    }

    func positiveSize(_ node: YAMLNode, _ path: @autoclosure () -> String) -> ByteSize? {
        guard let s = size(node, path()) else { return nil }
        guard s.bytes > 0 else {
            error(node, path(), "must be greater than 0 (omit it for no limit)")
            return nil
        }
        return s
    }

    static func isCPUSet(_ s: String) -> Bool {
        s.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { part in
            let r = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(r.count), r.allSatisfy({ !$0.isEmpty && $0.count < 5 && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return false }
            return r.count == 1 || (Int(r[0]) ?? 0) <= (Int(r[1]) ?? 0)
        }
    }

    func readResources(_ node: YAMLNode, _ path: String) -> ResourcesSpec {
        var r = ResourcesSpec()
        guard let f = fields(node, path, allowed: ["limits", "reservations"]) else { return r }
        if let n = f["limits"], let lf = fields(n, f.path("limits"), allowed: ["cpus", "memory", "pids"]) {
            if let cn = lf["cpus"] { r.limits.cpus = cpus(cn, lf.path("cpus")) }
            if let mn = lf["memory"] { r.limits.memory = positiveSize(mn, lf.path("memory")) }
            if let pn = lf["pids"], let p = int(pn, lf.path("pids"), min: 1) { r.limits.pids = p }
        }
        if let n = f["reservations"], let rf = fields(n, f.path("reservations"), allowed: ["cpus", "memory"]) {
            if let cn = rf["cpus"] { r.reservations.cpus = cpus(cn, rf.path("cpus")) }
            if let mn = rf["memory"] { r.reservations.memory = positiveSize(mn, rf.path("memory")) }
        }
        return r
    }

    func readUpdateConfig(_ node: YAMLNode, _ path: String) -> UpdateConfig {
        var u = UpdateConfig()
        guard let f = fields(node, path, allowed: ["parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"]) else { return u }
        if let n = f["parallelism"], let v = int(n, f.path("parallelism"), min: 0, max: 10_000) { u.parallelism = Int(v) }
        if let n = f["delay"], let v = duration(n, f.path("delay")) {
            if v.nanoseconds < 0 { error(n, f.path("delay"), "must not be negative") } else { u.delay = v }
        }
        if let n = f["failure_action"], let v = choice(n, f.path("failure_action"), UpdateConfig.FailureAction.self, what: "a failure action") { u.failureAction = v }
        if let n = f["monitor"], let v = duration(n, f.path("monitor")) {
            if v.nanoseconds < 0 { error(n, f.path("monitor"), "must not be negative") } else { u.monitor = v }
        }
        if let n = f["max_failure_ratio"] {
            if let v = n.double, v >= 0, v <= 1 { u.maxFailureRatio = v } else {
                error(n, f.path("max_failure_ratio"), "must be a number from 0 to 1, not \(n.kindDescription)")
            }
        }
        if let n = f["order"], let v = choice(n, f.path("order"), UpdateConfig.Order.self, what: "an update order") { u.order = v }
        return u
    }

    func readDeployRestart(_ node: YAMLNode, _ path: String) -> DeployRestartPolicy? {
        guard let f = fields(node, path, allowed: ["condition", "delay", "max_attempts", "window"]) else { return nil }
        var r = DeployRestartPolicy()
        if let n = f["condition"], let c = choice(n, f.path("condition"), DeployRestartPolicy.Condition.self, what: "a restart condition") { r.condition = c }
        if let n = f["delay"], let d = duration(n, f.path("delay")) { r.delay = d }
        if let n = f["max_attempts"], let v = int(n, f.path("max_attempts"), min: 0) { r.maxAttempts = Int(v) }
        if let n = f["window"], let d = duration(n, f.path("window")) { r.window = d }
        return r
    }

    func readBlkio(_ node: YAMLNode, _ path: String) -> BlkioSpec? {
        let keys = ["weight", "weight_device", "device_read_bps", "device_read_iops", "device_write_bps", "device_write_iops"]
        guard let f = fields(node, path, allowed: KeySet(keys)) else { return nil }
        var b = BlkioSpec()
        if let n = f["weight"], let w = int(n, f.path("weight"), min: 10, max: 1000) { b.weight = Int(w) }
        if let n = f["weight_device"] {
            for (i, item) in sequenceItems(n, f.path("weight_device")) {
                let p = "\(f.path("weight_device"))[\(i)]"
                guard let df = fields(item, p, allowed: ["path", "weight"]) else { continue }
                guard let dp = devicePath(df, item, p), let wn = df["weight"], let w = int(wn, df.path("weight"), min: 10, max: 1000) else {
                    if df["weight"] == nil { error(item, p, "weight is required") }
                    continue
                }
                b.weightDevice.append(.init(path: dp, weight: Int(w)))
            }
        }
        func rates(_ key: String, bytes: Bool) -> [BlkioSpec.RateDevice] {
            guard let n = f[key] else { return [] }
            var out: [BlkioSpec.RateDevice] = []
            for (i, item) in sequenceItems(n, f.path(key)) {
                let p = "\(f.path(key))[\(i)]"
                guard let df = fields(item, p, allowed: ["path", "rate"]) else { continue }
                guard let dp = devicePath(df, item, p) else { continue }
                guard let rn = df["rate"] else {
                    error(item, p, "rate is required")
                    continue
                }
                let rate: Int64? = bytes ? positiveSize(rn, df.path("rate"))?.bytes : int(rn, df.path("rate"), min: 1)
                if let rate { out.append(.init(path: dp, rate: rate)) }
            }
            return out
        }
        b.deviceReadBps = rates("device_read_bps", bytes: true)
        b.deviceReadIops = rates("device_read_iops", bytes: false)
        b.deviceWriteBps = rates("device_write_bps", bytes: true)
        b.deviceWriteIops = rates("device_write_iops", bytes: false)
        return b
    }

    private func devicePath(_ f: Fields, _ item: YAMLNode, _ path: String) -> String? {
        guard let pn = f["path"] else {
            error(item, path, "path is required")
            return nil
        }
        guard let p = string(pn, f.path("path"), allowEmpty: false) else { return nil }
        guard p.hasPrefix("/dev/") else {
            error(pn, f.path("path"), "\"\(p)\" is not a device path (example: /dev/sda)")
            return nil
        }
        return p
    }

    func sequenceItems(_ node: YAMLNode, _ path: String) -> [(Int, YAMLNode)] {
        guard case .sequence(let items) = node.content else {
            error(node, path, "must be a list, not \(node.kindDescription)")
            return []
        }
        return Array(items.enumerated())
    }
}
