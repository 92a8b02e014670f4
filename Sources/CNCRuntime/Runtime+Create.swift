import CNCCgroups
import CNCCore
import enum CNCMonitorCore.NotifyRelay
import CNCOCI
import CNCSystem
import Foundation

extension Runtime {
    /// Docker's paths hidden from containers and those mounted read-only.
    public static let maskedPaths = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                     "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                                     "/sys/firmware", "/sys/devices/virtual/powercap"]
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Creates the container's directory and files; nothing runs yet (`cnc create`).
    /// `startsNext`: the caller starts the container right away (`cnc run`), so its cgroups are
    /// made meanwhile on a second thread, and the migration lock warmed after them (see
    /// StartPreparations).
    /// `ephemeral`: a foreground `--rm` run that writes no log (see ContainerStore.ephemeralDir):
    /// its directory goes on a tmpfs when there is one.
    @discardableResult
    public func create(_ input: ContainerConfig, sealed: SealedMaterial = SealedMaterial(), startsNext: Bool = false, ephemeral: Bool = false) throws -> ContainerConfig {
        var c = input
        c.env = Self.mergeEnvironment(c.env)
        if c.name.isEmpty { c.name = Self.randomName() }
        guard Self.validName(c.name) else {
            throw CNCError(.invalidArgument, "Invalid container name (\(c.name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        guard !c.argv.isEmpty else { throw CNCError(.invalidArgument, "No command specified") }
        if c.autoRemove && c.restartPolicy.name != .no {
            throw CNCError(.invalidArgument, "conflicting options: cannot specify both --restart and --rm")
        }
        // Docker's daemon: a relative working directory (`-w app`, `working_dir: app`) is refused.
        if !c.workingDir.isEmpty && !c.workingDir.hasPrefix("/") {
            throw CNCError(.invalidArgument, "the working directory '\(c.workingDir)' is invalid, it needs to be an absolute path")
        }
        if c.utsMode == .host && !c.hostname.isEmpty && c.hostname != hostHostname() {
            throw CNCError(.invalidArgument, "conflicting options: hostname and the UTS mode (--uts host)")
        }
        if c.hostname.isEmpty { c.hostname = c.network == .host || c.utsMode == .host ? hostHostname() : c.id.short }
        if c.created == 0 { c.created = Processes.wallNanos() }
        _ = try Capabilities.effective(add: c.capAdd, drop: c.capDrop)
        if c.usernsMode != nil {
            // Docker's words; a user namespace cannot mount the host's pid or ipc namespace's
            // /proc or mqueue, nor make the host's devices.
            if c.privileged == true {
                throw CNCError(.invalidArgument, "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode")
            }
            if c.pidMode == .host { throw CNCError(.invalidArgument, "Cannot share the host PID namespace when user namespaces are enabled") }
            if c.ipcMode == .host { throw CNCError(.invalidArgument, "Cannot share the host IPC namespace when user namespaces are enabled") }
        }
        if Rootless.isActive, let m = c.mounts.first(where: { $0.type != .tmpfs && $0.hasOption("idmap") }) {
            throw Self.rootlessIdmapRefusal(m)
        }
        if case .service(let s) = c.network {
            throw CNCError(.invalidArgument, "network \"service:\(s)\" is only meaningful in an app spec; use container:NAME")
        }
        if case .bridge(let n) = c.network, network == nil {
            throw CNCError(.unsupported, "network \"\(n)\" needs the bridge driver, which this build does not have yet; use --network none, host or container:NAME")
        }
        if let refusal = cgroups.refusal(c.limits) { throw refusal }
        try claimCgroupDriver()
        try network?.check(container: c)
        // An ephemeral container (foreground --rm without a log) lives on a tmpfs when there is
        // one: name, directory and files (see ContainerStore).
        var onTmpfs = ephemeral && c.autoRemove && store.ephemeralDir != nil
        if onTmpfs {
            do { try store.claimName(c.name, for: c.id, ephemeral: true) } catch let e as CNCError where e.code == .unsupported {
                onTmpfs = false
            }
        }
        if !onTmpfs { try store.claimName(c.name, for: c.id) }
        Trace.mark("create: name claimed")
        let dir = onTmpfs ? (store.ephemeralDir ?? store.containersDir) + "/" + c.id.rawValue : store.containersDir + "/" + c.id.rawValue
        do {
            if !onTmpfs { try FileSystem.createSpreadDirectory(store.containersDir, mode: 0o711) }
            guard mkdirOnce(dir) else { throw CNCError(.alreadyExists, "container directory \(dir) exists") }
            Trace.mark("create: directory made")
            // `--userns auto`: the container's own slice of cnc's id range, given back at
            // removal (taken once the directory exists: see UsernsRanges.exists).
            let userns = c.usernsMode.flatMap { try? UsernsMode(parsing: $0, rootless: Rootless.isActive) }
            switch userns {
            case .auto(let size)?:
                // No size: root-run cnc's 65,536 of its large range; rootless, podman's rule
                // (sized from the image), as a user's range is usually 65,536 ids in all.
                let n = try size ?? (Rootless.isActive ? Self.autoSize(lowers: c.lowerDirs) : UsernsMode.defaultSize)
                (c.uidMap, c.gidMap) = try usernsRanges.allocate(c.id, size: n)
            case .keepID(let uid, let gid)?: (c.uidMap, c.gidMap) = try Self.keepIDMaps(uid: uid, gid: gid)
            case .noMap?: (c.uidMap, c.gidMap) = try Self.noMapMaps()
            default: break
            }
            // Rootless: no idmapped mount of the layers is allowed (their file system belongs to
            // the host's user namespace), so the container gets copies owned as its maps say.
            if Rootless.isActive, c.uidMap != nil { c.lowerDirs = try Self.shiftedLayers(c, dir: dir) }
            if case .keepID(let uid, let gid)? = userns, let hostUID = Rootless.hostUID, let hostGID = Rootless.hostGID,
               let layer = try Self.keepIDUserLayer(c, uid: uid ?? hostUID, gid: gid ?? hostGID, dir: dir) {
                c.lowerDirs.insert(layer, at: 0)
            }
            // From here a crash leaves a directory without cnc.json, which sweepIncomplete
            // clears with its cgroups.
            if startsNext && (cgroups is CgroupfsV1 || cgroups is CgroupfsV2) {
                StartPreparations.begin(c.id, path: c.cgroupPath, limits: c.limits, runtime: self, prime: primesMigration)
            }
            // --rm containers keep their writes on a tmpfs inside their own mount namespace.
            for sub in c.autoRemove ? ["rootfs"] : ["upper", "work", "rootfs"] { try FileSystem.createDirectory(dir + "/" + sub, mode: 0o755) }
            for i in c.mounts.indices where c.mounts[i].type == .volume {
                if c.mounts[i].source.isEmpty { c.mounts[i].source = ContainerID.random().rawValue; c.mounts[i].anonymous = true }
                try volumes.ensure(c.mounts[i].source, anonymous: c.mounts[i].anonymous)
            }
            Trace.mark("create: dirs")
            try writeSealed(sealed, into: &c)
            if let profile = try customSeccomp(c) { try SeccompProfile.compile(profile, to: dir + "/" + Self.customSeccompFile) }
            // config.json (the OCI view, for people and tools): for a container about to start,
            // start writes it while the container's init works; otherwise a second thread
            // encodes it while this one writes the files the container runs from.
            let config = c, runtime = self
            let spec = startsNext ? nil : Threads.start { try runtime.writeOCISpec(config, dir: dir) }
            do {
                try writeEtcFiles(c, dir: dir)
                Trace.mark("create: etc files")
                try store.saveConfig(c)
                Trace.mark("create: cnc.json")
                try FileSystem.writeReplacing(try initConfig(c, dir: dir).bytes, to: dir + "/init.conf", mode: 0o600)
                try handOverToMappedRoot(c, dir: dir)
                try prepareVolumeOwnership(c)
            } catch {
                _ = try? spec?.join()
                throw error
            }
            if let spec { try spec.join() } else { StartPreparations.deferSpec(c.id) { try runtime.writeOCISpec(config, dir: dir) } }
            Trace.mark("create: config.json")
        } catch {
            if StartPreparations.take(c.id) { try? cgroups.remove(c.cgroupPath) }
            try? FileSystem.removeTree(dir)
            removeSealed(c.id)
            store.releaseName(c.name, of: c.id)
            if c.uidMap != nil { usernsRanges.release(c.id) }
            throw error
        }
        record("create", c)
        return c
    }

    /// Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]* (checked without a regex engine: it is on the
    /// start path of every container).
    static func validName(_ name: String) -> Bool {
        func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        let u = Array(name.utf8)
        guard let first = u.first, alnum(first), u.count <= 128 else { return false }
        return u.allSatisfy { alnum($0) || $0 == 95 || $0 == 46 || $0 == 45 }
    }

    /// One entry per variable, the last one given winning (image ENV, then env files, then -e),
    /// in first-seen order. libc's getenv returns the first match, so duplicates must go.
    public static func mergeEnvironment(_ env: [String]) -> [String] {
        var order: [String] = []
        var values: [String: String] = [:]
        for entry in env {
            let key = String(entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if values[key] == nil { order.append(key) }
            values[key] = entry
        }
        return order.compactMap { values[$0] }
    }

    func mkdirOnce(_ dir: String) -> Bool {
        if FileSystem.exists(dir) { return false }
        return (try? FileSystem.createDirectory(dir, mode: 0o710)) != nil
    }

    public func volumePath(_ name: String) -> String { store.volumesDir + "/" + name + "/_data" }

    /// The root's record of `--userns auto` slices.
    public var usernsRanges: UsernsRanges {
        let store = self.store
        let pool = Rootless.isActive ? UsernsRanges.Pool(uidStart: 1, gidStart: 1, size: Rootless.subordinateCount) : UsernsRanges.hostPool()
        return UsernsRanges(root: store.root, pool: pool) { id in
            FileSystem.exists(store.containersDir + "/" + id) || store.ephemeralDir.map { FileSystem.exists($0 + "/" + id) } == true
        }
    }

    func hostHostname() -> String { ((try? FileSystem.readText("/proc/sys/kernel/hostname")) ?? "localhost").trimmingSpaces }

    func writeEtcFiles(_ c: ContainerConfig, dir: String) throws {
        var hosts: String
        if c.network == .host, let h = try? FileSystem.readText("/etc/hosts") {
            hosts = h
        } else {
            hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
                + "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
        }
        for e in c.extraHosts {
            // docker's --add-host takes HOST:IP and HOST=IP (a spec's extra_hosts are HOST=IP).
            let kv = e.split(separator: e.contains("=") ? "=" : ":", maxSplits: 1)
            if kv.count == 2 { hosts += "\(kv[1])\t\(kv[0])\n" }
        }
        try FileSystem.writeReplacing(Array((hosts).utf8), to: dir + "/hosts")
        try FileSystem.writeReplacing(Array((c.hostname + "\n").utf8), to: dir + "/hostname")
        var resolv = c.dns.isEmpty ? ((try? FileSystem.readText("/etc/resolv.conf")) ?? "") : c.dns.map { "nameserver \($0)\n" }.joined()
        if c.network == .none && c.dns.isEmpty {
            // Docker drops loopback resolvers the container cannot reach.
            resolv = resolv.split(separator: "\n").filter { !$0.hasPrefix("nameserver 127.") }.joined(separator: "\n") + "\n"
        }
        try FileSystem.writeReplacing(Array((resolv).utf8), to: dir + "/resolv.conf")
    }

    /// The environment the workload sees.
    func workloadEnv(_ c: ContainerConfig, extra: [String] = []) -> [String] {
        var env = c.env + extra
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.insert(Self.defaultPath, at: 0) }
        if !env.contains(where: { $0.hasPrefix("HOSTNAME=") }) { env.insert("HOSTNAME=\(c.hostname)", at: 1) }
        if c.tty && !env.contains(where: { $0.hasPrefix("TERM=") }) { env.append("TERM=xterm") }
        return env
    }

    func capNumbers(_ c: ContainerConfig) throws -> [Int] {
        try Capabilities.effective(add: c.capAdd, drop: c.capDrop).compactMap(Capabilities.number)
    }

    func initConfig(_ c: ContainerConfig, dir: String) throws -> NulConfig {
        var n = NulConfig()
        n.add("rootfs", dir + "/rootfs")
        for l in c.lowerDirs { n.add("lower", l) }
        if c.autoRemove { n.add("tmpupper", "1") } else {
            n.add("upper", dir + "/upper")
            n.add("work", dir + "/work")
            if c.volatileUpper == true { n.add("volatile", "1") }
        }
        if c.utsMode != .host { n.add("hostname", c.hostname) }  // never the host's own
        if c.ipcMode == .host { n.add("shmhost", "1") }
        if c.readOnly { n.add("readonly", "1") }
        if c.tty { n.add("tty", "1") }
        if c.initProcess { n.add("init", "1") }
        n.add("nonewprivs", c.noNewPrivileges ? "1" : "0")
        try addSeccomp(c, dir: dir, to: &n)
        n.add("cwd", c.workingDir.isEmpty ? "/" : c.workingDir)
        n.add("user", c.user)
        for g in c.groupAdd ?? [] { n.add("groupadd", g) }
        if case .container = c.network, let path = try? networkNamespacePath(c) { n.add("netns", path) }
        if namespaceFlags(c).contains(.net) { n.add("loopback", "1") }
        // --sdnotify=container under a notify unit (as podman: nothing without one): the
        // monitor's relay socket and NOTIFY_SOCKET naming it (bound in bindMounts).
        let notify = c.sdNotify == .container && SdNotify.socket != nil
        for e in unsealedEnv(c, extra: notify ? ["NOTIFY_SOCKET=" + NotifyRelay.containerSocket] : []) { n.add("env", e) }
        addSealedEnv(c, to: &n)
        for a in c.argv { n.add("arg", a) }
        for cap in try capNumbers(c) { n.add("cap", String(cap)) }
        for u in c.ulimits { n.add("rlimit", u.name, String(u.soft), String(u.hard)) }
        // In a user namespace the parent opens every bind source (the state root may be closed
        // to the container's root) and init finds them as fds (see usernsSetup).
        for (i, b) in bindMounts(c, dir: dir).enumerated() {
            n.add("bind", c.uidMap == nil ? b.source : "fd:\(Self.usernsBindFDBase + Int32(i))", b.target, b.readOnly ? "ro" : "rw")
        }
        if c.uidMap != nil {
            n.add("userns", "1")
            n.add("rootfsfd", String(Self.usernsRootfsFD))
            if seccompBPFPath(c, dir: dir) != nil { n.add("seccompbpffd", String(Self.usernsSeccompFD)) }
        }
        for m in c.mounts where m.type == .tmpfs { n.add("tmpfs", m.target, m.options.isEmpty ? "mode=1777" : m.options) }
        for (k, v) in (c.sysctls ?? [:]).sorted(by: { $0.key < $1.key }) { n.add("sysctl", k, v) }
        // In a user namespace no node can be made: the host's are bound (bindMounts).
        for d in Self.bindsDevices(c) ? [] : c.devices ?? [] {
            n.add("device", d.containerPath, String(d.fileMode), String(d.major), String(d.minor), String(d.uid), String(d.gid))
        }
        if let s = c.shmSize { n.add("shmsize", String(s)) }
        let view = cgroups.containerView(c.cgroupPath)
        for b in view.binds { n.add("cgroupbind", b.source, b.name) }
        for l in view.links { n.add("cgrouplink", l.name, l.target) }
        if view.unified { n.add("cgroupunified", "1") }
        if c.cgroupns == .private { n.add("cgroupns", "1") }
        if c.privileged == true { n.add("privileged", "1") }
        if let o = c.oomScoreAdj { n.add("oomscoreadj", String(o)) }
        if !c.systemPathsUnconfined {
            for p in Self.maskedPaths { n.add("mask", p) }
            for p in Self.readonlyPaths { n.add("ropath", p) }
        }
        return n
    }

    /// The seccomp entries of an init or exec configuration: unconfined; the user's profile,
    /// compiled at create into the container's directory; or Docker's default for the
    /// container's capabilities, compiled once per set (SeccompCache).
    func addSeccomp(_ c: ContainerConfig, dir: String, to n: inout NulConfig) throws {
        if c.seccompUnconfined {
            n.add("seccomp", "unconfined")
        } else {
            n.add("seccomp", c.customSeccompJSON != nil ? "custom" : "default")
            if let bpf = seccompBPFPath(c, dir: dir) { n.add("seccompbpf", bpf) }
        }
    }

    /// The compiled seccomp program init loads: the container's own profile, or the cached
    /// default for its capabilities; nil when unconfined (or the cache cannot be written).
    func seccompBPFPath(_ c: ContainerConfig, dir: String) -> String? {
        if c.seccompUnconfined { return nil }
        if c.customSeccompJSON != nil { return dir + "/" + Self.customSeccompFile }
        return try? SeccompCache.path(root: store.root, caps: try capNumbers(c))
    }

    static let customSeccompFile = "seccomp.bpf"

    /// `--security-opt seccomp=FILE`: the profile as OCI rules for this container, or nil.
    func customSeccomp(_ c: ContainerConfig) throws -> OCIRuntimeSpec.Seccomp? {
        guard let json = c.customSeccompJSON else { return nil }
        return try SeccompProfile(json: json, origin: "of container \(c.name)")
            .oci(caps: try Capabilities.effective(add: c.capAdd, drop: c.capDrop))
    }

    /// `--network container:NAME` joins that container's network namespace.
    func networkNamespacePath(_ c: ContainerConfig) throws -> String? {
        guard case .container(let ref) = c.network else { return nil }
        let other = try container(ref)
        guard other.state.status == .running, other.state.pid > 0 else {
            throw CNCError(.conflict, "cannot join the network of container \(ref): it is not running")
        }
        return "/proc/\(other.state.pid)/ns/net"
    }

    static let adjectives = ["brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid", "merry",
                             "nifty", "proud", "quirky", "sharp", "tender", "vivid", "witty", "zen"]
    static let nouns = ["turing", "hopper", "lovelace", "knuth", "ritchie", "thompson", "torvalds", "dijkstra",
                        "liskov", "hamilton", "curie", "noether", "shannon", "wozniak", "babbage", "perlman"]

    static func randomName() -> String {
        "\(adjectives.randomElement() ?? "calm")_\(nouns.randomElement() ?? "turing")_\(ContainerID.random().short.prefix(4))"
    }
}
