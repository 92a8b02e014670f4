import CNCCgroups
import CNCCore
import class CNCMonitorCore.OOMWatch
import enum CNCMonitorCore.RFC3339
import CNCSystem

/// How a started container's stdio connects to the caller.
public struct StartIO: Sendable {
    /// The caller's fd the container reads: without a tty its stdin (`-i`); with one (a container
    /// created with `-t` gets a terminal of its own from cnc-init), the terminal whose window
    /// size it takes, and with `ttyInput` whose input is typed into it. Else /dev/null.
    public var stdin: Int32?
    /// Copy the output to these fds as well as to the log (foreground `run`, `start -a`).
    public var attachOut: Int32?
    public var attachErr: Int32?
    /// `-it`: `stdin` is typed into the container's terminal.
    public var ttyInput: Bool
    /// With `ttyInput`: typed one after the other, these detach the caller (`follow` says
    /// `.detached`); the container runs on.
    public var detachKeys: [UInt8]
    /// False for `run --sig-proxy=false`: signals to the caller are not forwarded, so it may die
    /// of one while the container runs on. Such a start never runs in direct mode (the container
    /// needs its monitor), and a `--rm` container is removed by the monitor when it exits.
    public var proxiesSignals = true
    /// The caller waits for the container, then removes it itself (`removeReaped`), as a
    /// foreground `--rm` run does, without `--rm`'s throwaway upper directory: direct mode (no
    /// monitor, no log) with the upper directory kept on disk until then (`cnc build`'s RUN).
    public var reapedByCaller: Bool
    /// With `reapedByCaller`: init gets SIGKILL when the thread that starts it exits (the
    /// caller killed, even with -9), and its pid namespace goes with it (`cnc build`'s RUN).
    /// That thread must wait for the container (`waitForExit`).
    public var diesWithCaller = false
    public init(stdin: Int32? = nil, attachOut: Int32? = nil, attachErr: Int32? = nil, ttyInput: Bool = false,
                detachKeys: [UInt8] = DetachKeys.defaultSequence, reapedByCaller: Bool = false) {
        self.stdin = stdin; self.attachOut = attachOut; self.attachErr = attachErr; self.ttyInput = ttyInput
        self.detachKeys = detachKeys
        self.reapedByCaller = reapedByCaller
    }
}

/// A container whose init reached exec; `waitForExit` follows it when attached, `detach` lets
/// it go. It owns the read end of the monitor's status pipe, so it cannot be copied: the one
/// that ends it closes that end, once.
public struct StartedContainer: ~Copyable, Sendable {
    public let id: ContainerID
    public let pid: Int32
    /// The monitor's status pipe (read end); nil in direct mode.
    let status: UniqueFD?
    /// The container's monitor (0 in direct mode).
    public var monitorPid: Int32 = 0
    /// Direct mode (foreground --rm): we are init's parent, there is no monitor.
    var direct: DirectRun? = nil
    /// True in direct mode: once waitForExit returns, the container is reaped (removeReaped).
    public var isDirect: Bool { direct != nil }

    struct DirectRun: Sendable {
        let oomFile: String?
        let oomKey: String?
        let oomAtStart: Int64
        let oomWatch: OOMWatch?
        let state: ContainerState
        /// For the `die` event (name, image, labels).
        let config: ContainerConfig
        let startedNanos: Int64
    }

    /// Blocks until the monitor reports the exit status (foreground run).
    public consuming func waitForExit(runtime: Runtime) -> Int32 {
        if case .exited(let code) = follow(runtime: runtime) { return code }
        return 0
    }

    /// How following a started container ended.
    public enum Outcome: Sendable, Equatable {
        case exited(Int32)
        /// The caller typed its detach keys (`run -it`): the container runs on.
        case detached
    }

    /// Waits until the container exits (its status) or the caller detaches.
    public consuming func follow(runtime: Runtime) -> Outcome {
        if let direct { return .exited(runtime.finishDirect(id: id, pid: pid, direct)) }
        // Taken out of self and closed by hand after the last read: a consumed value may be
        // destroyed right after its last use, which for `status?.raw` was before the reads.
        let id = self.id
        var pipe = status
        guard let fd = pipe?.raw else { return .exited(runtime.store.loadState(id).exitCode) }
        var reader = LineReader(fd: fd)
        var outcome: Outcome? = nil
        while let line = reader.next() {
            if line.hasPrefix("exit ") { outcome = .exited(Int32(line.dropFirst(5)) ?? 125); break }
            if line == "detach" { outcome = .detached; break }
        }
        pipe.take()?.close()
        return outcome ?? .exited(runtime.store.loadState(id).exitCode)
    }

    /// Stops following the container (detached run): the status pipe closes.
    public consuming func detach() { _ = consume self }
}

/// Reads newline-terminated lines from a pipe.
struct LineReader {
    let fd: Int32
    var buffer: [UInt8] = []
    init(fd: Int32) { self.fd = fd }

    mutating func next() -> String? {
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            guard let n = try? FD.read(fd, into: &chunk), n > 0 else { return nil }
            buffer += chunk[0..<n]
        }
    }
}

extension Runtime {
    /// Status codes of a failed start, as Docker uses them: 125 engine, 126 cannot execute,
    /// 127 not found.
    public struct StartFailure: Error, CustomStringConvertible {
        public let status: Int32
        public let message: String
        public var description: String { message }
    }

    /// Starts the container: cgroups, monitor, init; returns once the workload was exec'd.
    /// A foreground `--rm` container without restart policy, health check or tty has nothing
    /// to outlive the CLI for, so the CLI itself is init's parent ("direct" mode: no monitor).
    /// `config`: the container's configuration when the caller has it at hand (it just created
    /// or loaded it), which saves reading cnc.json back.
    public func start(_ id: ContainerID, io: StartIO = StartIO(), config: ContainerConfig? = nil) throws -> StartedContainer {
        // config.json may still be in the works (create(startsNext:)): done by the time we return.
        defer { try? StartPreparations.finishSpec(id) }
        var c: Container
        if let config, config.id == id {
            c = Container(config: config, state: store.loadState(id), directory: store.directory(id))
        } else {
            c = try store.load(id)
        }
        c.state = refreshed(c)
        if c.state.isActive { throw CNCError(.conflict, "container \(c.config.name) is already running") }
        // This process stopped it and still holds its old overlay: that one goes first, so the
        // new mount does not share the upper directory with it.
        RootfsPins.release(id)
        let dir = c.directory
        try? FileSystem.remove(c.stopRequestPath)
        // Refresh the parts that depend on other containers (container:NAME networking).
        if case .container = c.config.network {
            try FileSystem.writeReplacing(try initConfig(c.config, dir: dir).bytes, to: dir + "/init.conf", mode: 0o600)
        }
        let cg = c.config.cgroupPath
        let limits = c.config.limits
        let prepared = StartPreparations.isPending(id)
        // The container's cgroups: those create began on its second thread (waited for as late
        // as possible: a direct start clones init first), or made here.
        let ensureCgroups = { [cgroups] () throws in
            if !(prepared && StartPreparations.take(id)) {
                do { try cgroups.recreate(cg, limits: limits) } catch { throw CNCError.failed("create", "cgroup \(cg)", cause: error) }
            }
            Trace.mark("cgroups created")
        }
        if !prepared { try ensureCgroups() }
        var conf = NulConfig()
        conf.add("dir", dir)
        conf.add("init", initBinary)
        conf.add("initconf", c.config.uidMap == nil ? dir + "/init.conf" : "init.conf")
        addUsernsSettings(c.config, dir: dir, to: &conf)
        conf.add("namespaces", String(namespaceFlags(c.config).rawValue))
        // systemd makes the scope with init's pid: the CLI (or the hook command) joins it.
        let cgroupHook = cgroups.joinsThroughManager
        if !cgroupHook { for f in cgroups.procsFiles(cg) { conf.add("cgroupprocs", f) } }
        if let oom = cgroups.oomCounter(cg) { conf.add("oomfile", oom.file); conf.add("oomkey", oom.key) }
        conf.add("restart", c.config.restartPolicy.name.rawValue)
        conf.add("restartmax", String(c.config.restartPolicy.maximumRetryCount))
        conf.add("logmaxsize", String(c.config.log.maxSize))
        conf.add("logmaxfile", String(c.config.log.maxFile))
        switch c.config.log.effectiveDriver {
        case .jsonFile: break
        case .none: conf.add("logdriver", "none")
        case .journald:
            conf.add("logdriver", "journald")
            for (k, v) in JournalFields.fields(c.config) { conf.add("journalfield", k + "=" + v) }
        }
        if c.config.tty { conf.add("tty", "1") }
        // --sdnotify=container: the monitor relays the container's notifications (see SdNotify).
        let notifyUnit = c.config.sdNotify == .container ? SdNotify.socket : nil
        if c.config.sdNotify == .container { conf.add("sdnotify", "container") }
        if let notifyUnit { conf.add("notifysocket", notifyUnit); conf.add("notifygate", "1") }
        if c.config.tty && io.ttyInput && io.stdin != nil {
            conf.add("ttystdin", "1")
            for k in io.detachKeys { conf.add("detachkey", String(k)) }
        }
        if io.attachOut != nil { conf.add("attach", "1") }
        // `-i` with nobody's stdin: the container reads a pipe `cnc attach` clients feed.
        if c.config.openStdin && !c.config.tty && io.stdin == nil { conf.add("stdinpipe", "1") }
        if let h = c.config.healthcheck, !h.test.isEmpty, h.test.first != "NONE" {
            let template = try execConfig(c.config, dir: dir, argv: h.argv, extraEnv: [], user: nil, workdir: nil, tty: false)
            try FileSystem.writeReplacing(template.bytes, to: dir + "/health.template", mode: 0o600)
            conf.add("healthconf", dir + "/health.template")
            conf.add("healthinterval", String(h.interval))
            conf.add("healthtimeout", String(h.timeout))
            conf.add("healthretries", String(h.retries))
            conf.add("healthstartperiod", String(h.startPeriod))
        }
        let hook = network != nil && { if case .bridge = c.config.network { return true }; return false }()
        if hook {
            conf.add("nethook", "1")
            for a in [cliBinary, "network-attach-hook", "--root", store.root, id.rawValue] { conf.add("nethookcmd", a) }
            for a in [cliBinary, "network-detach-hook", "--root", store.root, id.rawValue] { conf.add("netdetachcmd", a) }
        }
        if cgroupHook {
            conf.add("cgrouphook", "1")
            for a in [cliBinary, "cgroup-attach-hook", "--root", store.root, "--cgroup-manager", cgroups.kind.rawValue, id.rawValue] {
                conf.add("cgrouphookcmd", a)
            }
        }
        if Self.runsDirect(c.config, attached: io.attachOut != nil, proxiesSignals: io.proxiesSignals, reapedByCaller: io.reapedByCaller) {
            return try startDirect(c, io: io, hook: hook, ensureCgroups: prepared ? ensureCgroups : nil)
        }
        if prepared { try ensureCgroups() }
        // After the cgroups are made: a migration holds cgroup_mutex through its grace period,
        // which would stall their mkdirs (see StartPreparations). The grace period now overlaps
        // the monitor's spawn and init's clone.
        // (Not twice: a create that prepared the cgroups primed after them, see StartPreparations.)
        if primesAtStart && !(prepared && primesMigration) { MigrationPrimer.prime(layout: layout) }
        addEventSettings(c.config, to: &conf)
        if c.config.autoRemove {
            // Detached (`run -d --rm`): the monitor removes it at the end; attached with a
            // terminal (`run --rm -it`), only if the caller detaches (else the caller does).
            let key = io.attachOut == nil || !io.proxiesSignals ? "remove" : "detachremove"
            if key == "remove" || (c.config.tty && io.ttyInput) {
                for a in [cliBinary, "rm", "--root", store.root, "--cgroup-manager", cgroups.kind.rawValue, "-f", id.rawValue] { conf.add(key, a) }
            }
        }
        try FileSystem.writeReplacing(conf.bytes, to: dir + "/monitor.conf", mode: 0o600)

        // Every descriptor here has one owner and closes once: by hand where the monitor must see
        // an EOF, else as its owner goes (a throw included). Starts run side by side in one
        // process (cncapply), where a second close of a number closes whatever another thread
        // has opened under it since.
        let status = try Pipe()
        var hookRead: UniqueFD? = nil, hookWrite: UniqueFD? = nil
        if hook || cgroupHook {
            let p = try Pipe()
            hookRead = consume p.read
            hookWrite = consume p.write
        }
        var gateRead: UniqueFD? = nil, gateWrite: UniqueFD? = nil
        if notifyUnit != nil {
            let p = try Pipe()
            gateRead = consume p.read
            gateWrite = consume p.write
        }
        let devnull = try UniqueFD(open: "/dev/null", FD.readWrite)
        var fdMap: [Int32] = [io.stdin ?? devnull.raw, io.attachOut ?? devnull.raw, io.attachErr ?? io.attachOut ?? devnull.raw, status.write.raw]
        if hookRead != nil || gateRead != nil { fdMap += [-1, -1, hookRead?.raw ?? -1] }
        if let g = gateRead?.raw { fdMap.append(g) }
        var opts = Spawn.Options()
        opts.fdMap = fdMap
        opts.newSession = true
        let monitorPid: Int32
        do {
            monitorPid = try Spawn.spawn(monitorBinary, arguments: ["cnc-monitor", dir + "/monitor.conf"],
                                         environment: [Self.defaultPath] + (Host.environment("CNC_TRACE").map { ["CNC_TRACE=\($0)"] } ?? [])
                                             + Rootless.environment, options: opts)
        } catch {
            try? cgroups.remove(cg)
            throw error
        }
        Trace.mark("monitor spawned")
        if let gate = gateWrite.take() {
            // podman's rule: the unit's main pid is the monitor, whose relayed READY=1 then counts.
            gateRead.take()?.close()
            SdNotify.send("MAINPID=\(monitorPid)")
            gate.close()
        }
        try? StartPreparations.finishSpec(id)
        devnull.close()
        status.write.close()
        hookRead.take()?.close()
        // The monitor is reaped by init once we exit; a zombie until then is harmless.
        var reader = LineReader(fd: status.read.raw)
        // A start that fails after the attach releases it (docker frees the endpoint of a failed
        // start): its namespace is gone, but the lease, DNS record and ports stayed claimed until
        // some later attach on this root happened to sweep the dead record.
        var attached = false
        func undone(_ error: any Error) -> any Error {
            if attached { try? network?.detach(container: c.config) }
            return error
        }
        while let line = reader.next() {
            if line.hasPrefix("created "), let pid = Int32(line.dropFirst(8)), let release = hookWrite.take() {
                Trace.mark("start: init created")
                // Closed after the go-ahead byte, or unwritten on an error (init then gives up).
                if cgroupHook {
                    do { try cgroups.addProcess(pid, to: cg) } catch { throw CNCError.failed("join", "container \(c.config.name) to its cgroup", cause: error) }
                }
                if hook {
                    do { try network?.attach(container: c.config, pid: pid) } catch {
                        throw CNCError.failed("attach", "container \(c.config.name) to network \(c.config.network)", cause: error)
                    }
                    attached = true
                }
                do { try FD.writeToChild(release.raw, [1]) } catch { throw undone(error) }
                release.close()
            } else if line.hasPrefix("pid "), let pid = Int32(line.dropFirst(4)) {
                Trace.mark("start: workload running")
                record("start", c.config)
                return StartedContainer(id: id, pid: pid, status: consume status.read, monitorPid: monitorPid)
            } else if line.hasPrefix("fail ") {
                let rest = line.dropFirst(5)
                let code = Int32(rest.prefix(while: { $0 != " " })) ?? 125
                let msg = String(rest.drop(while: { $0 != " " }).dropFirst())
                try? cgroups.remove(cg)
                throw undone(StartFailure(status: code, message: msg))
            }
        }
        try? cgroups.remove(cg)
        throw undone(StartFailure(status: 125, message: "the container's monitor exited before reporting a start"))
    }

    func namespaceFlags(_ c: ContainerConfig) -> Namespaces {
        var ns: Namespaces = c.uidMap == nil ? [.mount] : [.mount, .user]
        if c.utsMode != .host { ns.insert(.uts) }
        if c.ipcMode != .host { ns.insert(.ipc) }
        if c.pidMode != .host { ns.insert(.pid) }
        if case .none = c.network { ns.insert(.net) }
        if case .bridge = c.network { ns.insert(.net) }
        return ns
    }
}

extension Runtime {
    /// True when a start of `c` runs in direct mode (the CLI is init's parent, no monitor, no
    /// log): a foreground `--rm` run (or a start whose caller reaps and removes the container
    /// itself, `cnc build`'s RUN) without tty, restart policy, health check, journald log or
    /// `--sdnotify=container` (the monitor relays the container's notifications), and with its
    /// caller's signals proxied (`--sig-proxy=false` lets the caller die first).
    public static func runsDirect(_ c: ContainerConfig, attached: Bool, proxiesSignals: Bool = true, reapedByCaller: Bool = false) -> Bool {
        (c.autoRemove || reapedByCaller) && attached && proxiesSignals && !c.tty && c.restartPolicy.name == .no && c.healthcheck == nil
            && c.log.effectiveDriver != .journald
            && c.sdNotify != .container
    }

    /// Direct mode: clone cnc-init, join it to the cgroups, attach the network, release it.
    /// `ensureCgroups`: cgroups still in the making, waited for once init is cloned (init sets up
    /// the container's root meanwhile; it joins them before it is released).
    func startDirect(_ c: Container, io: StartIO, hook: Bool, ensureCgroups: (() throws -> Void)? = nil) throws -> StartedContainer {
        let cg = c.config.cgroupPath
        // Each end has one owner (see start): closed by hand where init must see it, else as the
        // pipe goes.
        let sync = try Pipe()
        let errors = try Pipe()
        let devnull = try UniqueFD(open: "/dev/null", FD.readWrite)
        var opts = Spawn.Options()
        opts.namespaces = namespaceFlags(c.config)
        opts.fdMap = [io.stdin ?? devnull.raw, io.attachOut ?? 1, io.attachErr ?? io.attachOut ?? 2, sync.read.raw, errors.write.raw]
        if io.reapedByCaller && io.diesWithCaller { opts.parentDeathSignal = 9 } // SIGKILL
        var conf = c.directory + "/init.conf"
        var bpf: UniqueFD? = nil
        if let setup = usernsSetup(c.config, dir: c.directory) {
            // Init starts in its directory as the mapped root (see handOverToMappedRoot).
            opts.userns = setup
            opts.workingDirectory = c.directory
            conf = "init.conf"
            if let path = seccompBPFPath(c.config, dir: c.directory) {
                bpf = try UniqueFD(open: path, FD.readOnly)
                opts.fdMap += [-1, -1, bpf?.raw ?? -1]
            }
        }
        let pid: Int32
        defer { bpf.take()?.close() }
        do {
            pid = try Spawn.spawn(initBinary, arguments: ["cnc-init", "run", conf],
                                  environment: [Self.defaultPath] + (Host.environment("CNC_TRACE").map { ["CNC_TRACE=\($0)"] } ?? [])
                                             + Rootless.environment, options: opts)
        } catch {
            try? cgroups.remove(cg)
            throw error
        }
        devnull.close()
        sync.read.close()
        errors.write.close()
        func fail(_ f: StartFailure) throws -> Never {
            _ = try? Processes.signal(pid, 9)
            _ = try? Spawn.wait(pid)
            try? cgroups.remove(cg)
            throw f
        }
        // The network attach needs only init's new namespace: it runs on a second thread while
        // this one waits for the cgroups and the migration's RCU grace period, so a bridge start
        // (the default network) pays little more than a start without one.
        let network = hook ? self.network : nil
        let attaching = network.map { n in Threads.start { try n.attach(container: c.config, pid: pid) } }
        do {
            try ensureCgroups?()
            // systemd makes the scope (init's pid in it) while init sets up its root and this
            // thread writes config.json; the join completes before init is released.
            let joined = try cgroups.beginAddProcess(pid, to: cg)
            if cgroups.joinsThroughManager { try? StartPreparations.finishSpec(c.config.id) }
            try attaching?.join()
            try joined()
        } catch {
            // An attach that succeeded while the cgroups failed is undone (the namespace dies with init).
            if let attaching, (try? attaching.join()) != nil { try? network?.detach(container: c.config) }
            _ = try? Processes.signal(pid, 9)
            let early = FD.readAll(errors.read.raw)
            if !early.isEmpty { try fail(Self.startFailure(early)) }
            try fail(StartFailure(status: 125, message: "\(error)"))
        }
        Trace.mark("in cgroups")
        let oom = cgroups.oomCounter(cg)
        let oomAtStart = oom.flatMap { Self.counter($0.file, $0.key) } ?? 0
        let oomWatch = oom.flatMap { OOMWatch(counterFile: $0.file, key: $0.key, start: oomAtStart) }
        // An init that died already (its mounts refused) has said why on the error pipe.
        _ = try? FD.writeToChild(sync.write.raw, [1])
        sync.write.close()
        // While init mounts the container's root, write its config.json (if create left it).
        try? StartPreparations.finishSpec(c.config.id)
        let msg = FD.readAll(errors.read.raw)
        errors.read.close()
        if !msg.isEmpty {
            _ = try? Spawn.wait(pid)
            if let network { try? network.detach(container: c.config) }
            try? cgroups.remove(cg)
            throw Self.startFailure(msg)
        }
        var state = ContainerState()
        state.status = .running
        state.running = true
        state.pid = pid
        state.monitorPid = Processes.current
        state.monitorStart = Processes.startTicks(Processes.current)
        let startedNanos = Processes.wallNanos()
        state.startedAt = RFC3339.format(nanos: startedNanos)
        try? store.writeState(c.config.id, state)
        record("start", c.config)
        return StartedContainer(id: c.config.id, pid: pid, status: nil,
                                direct: .init(oomFile: oom?.file, oomKey: oom?.key, oomAtStart: oomAtStart, oomWatch: oomWatch, state: state,
                                              config: c.config, startedNanos: startedNanos))
    }

    func finishDirect(id: ContainerID, pid: Int32, _ d: StartedContainer.DirectRun) -> Int32 {
        let end = (try? Spawn.wait(pid)) ?? .exited(125)
        var s = d.state
        s.status = .exited
        s.running = false
        s.pid = 0
        s.exitCode = end.shellStatus
        if case .signaled(let sig) = end { s.signal = sig }
        if let w = d.oomWatch {
            s.oomKilled = w.oomKilled(killed: s.signal == 9)
        } else if let f = d.oomFile, let k = d.oomKey {
            s.oomKilled = (Self.counter(f, k) ?? 0) > d.oomAtStart
        }
        s.finishedAt = RFC3339.format(nanos: Processes.wallNanos())
        s.monitorPid = 0
        s.monitorStart = nil
        try? store.writeState(id, s)
        record("die", d.config, [("exitCode", String(s.exitCode)), ("execDuration", String((Processes.wallNanos() - d.startedNanos) / 1_000_000_000))])
        return s.exitCode
    }

    static func counter(_ file: String, _ key: String) -> Int64? {
        guard let bytes = try? FileSystem.readBytes(file) else { return nil }
        return OOMWatch.value(of: key, in: bytes)
    }
}
