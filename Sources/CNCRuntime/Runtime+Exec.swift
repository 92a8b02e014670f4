import CNCCgroups
import CNCCore
import CNCSystem

/// What `cnc exec` runs.
public struct ExecRequest: Sendable {
    public var argv: [String]
    public var env: [String] = []
    public var user: String?
    public var workdir: String?
    public var tty = false
    public var interactive = false
    public var detach = false
    /// docker exec --privileged: every capability (those the host lets us hold), whatever the
    /// container's own set; the container's seccomp profile, user and mounts stay.
    public var privileged = false
    public init(argv: [String]) { self.argv = argv }
}

extension Runtime {
    /// The cnc-init `exec` configuration: joins the cgroup and every namespace of the target,
    /// then the container's identity, capabilities and seccomp profile apply.
    func execConfig(_ c: ContainerConfig, dir: String, argv: [String], extraEnv: [String], user: String?, workdir: String?, tty: Bool,
                    privileged: Bool = false) throws -> NulConfig {
        var n = NulConfig()
        for f in cgroups.procsFiles(c.cgroupPath) { n.add("cgroupprocs", f) }
        n.add("nonewprivs", c.noNewPrivileges ? "1" : "0")
        try addSeccomp(c, dir: dir, to: &n)
        if c.privileged == true || privileged { n.add("privileged", "1") }
        n.add("cwd", workdir ?? (c.workingDir.isEmpty ? "/" : c.workingDir))
        n.add("user", user ?? c.user)
        for g in c.groupAdd ?? [] { n.add("groupadd", g) }
        if tty { n.add("tty", "1") }
        for e in unsealedEnv(c, extra: extraEnv) { n.add("env", e) }
        addSealedEnv(c, to: &n)
        for a in argv { n.add("arg", a) }
        for cap in privileged ? Array(Capabilities.all.indices) : try capNumbers(c) { n.add("cap", String(cap)) }
        return n
    }

    /// Runs a process inside a running container; returns its exit status (0 for `detach`).
    public func exec(_ ref: String, _ req: ExecRequest) throws -> Int32 {
        let c = try container(ref)
        // moby's refusals (errExecPaused, errNotRunning), by the full ID as docker's daemon words them.
        if c.state.status == .paused {
            throw CNCError(.conflict, "Container \(c.config.id.rawValue) is paused, unpause the container before exec")
        }
        guard c.state.status == .running, c.state.pid > 0 else {
            throw c.notRunning
        }
        guard !req.argv.isEmpty else { throw CNCError(.invalidArgument, "no command specified") }
        var conf = try execConfig(c.config, dir: c.directory, argv: req.argv, extraEnv: req.env, user: req.user, workdir: req.workdir, tty: req.tty,
                                  privileged: req.privileged)
        conf.add("target", String(c.state.pid))
        let path = c.directory + "/exec-\(ContainerID.random().short).conf"
        try FileSystem.writeReplacing(conf.bytes, to: path, mode: 0o600)
        defer { try? FileSystem.remove(path) }
        let errors = try Pipe()
        let devnull = try UniqueFD(open: "/dev/null", FD.readWrite)
        var opts = Spawn.Options()
        // With -t the helper allocates the terminal inside the container and relays to our stdio.
        opts.fdMap = [req.interactive ? 0 : devnull.raw, req.detach ? devnull.raw : 1, req.detach ? devnull.raw : 2, errors.write.raw]
        opts.newSession = req.detach
        // Docker's exec events: exec_create, exec_start (both naming the command), exec_die.
        let execID = ContainerID.random().rawValue
        let command = req.argv.joined(separator: " ")
        record("exec_create: " + command, c.config, [("execID", execID)])
        let pid = try Spawn.spawn(initBinary, arguments: ["cnc-init", "exec", path], environment: [Self.defaultPath], options: opts)
        record("exec_start: " + command, c.config, [("execID", execID)])
        devnull.close()
        errors.write.close()
        let rawMode = req.tty && req.interactive && !req.detach && Terminal.isTerminal(0) && Terminal.makeRaw(0)
        defer { if rawMode { Terminal.restore() } }
        if req.detach {
            // Wait only until the helper reached exec (or failed).
            let msg = FD.readAll(errors.read.raw)
            errors.read.close()
            if !msg.isEmpty { throw Self.startFailure(msg) }
            return 0
        }
        let end = try Spawn.wait(pid)
        let msg = FD.readAll(errors.read.raw)
        errors.read.close()
        let failure = msg.isEmpty ? nil : Self.startFailure(msg)
        record("exec_die", c.config, [("execID", execID), ("exitCode", String(failure?.status ?? end.shellStatus))])
        if let failure { throw failure }
        return end.shellStatus
    }

    static func startFailure(_ bytes: [UInt8]) -> StartFailure {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 1)
        return StartFailure(status: parts.first.flatMap { Int32($0) } ?? 125, message: parts.count > 1 ? String(parts[1]) : text)
    }
}
