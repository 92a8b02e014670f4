import CShim
import Glibc

/// A start that did not reach the workload: the exit code to record (cnc-init's own, or 125)
/// and why.
struct StartFailure {
    let code: Int32
    let message: String

    /// cnc-init's report on its error pipe: "CODE\nMESSAGE" (a text without a code is 125).
    init(initReport: [UInt8], otherwise: String? = nil) {
        let text = String(decoding: initReport, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 1)
        code = parts.first.flatMap { Int32($0) } ?? 125
        message = parts.count > 1 ? String(parts[1]) : otherwise ?? text
    }

    init(_ message: String) {
        code = 125
        self.message = message
    }
}

extension Monitor {
    /// Starts the container's init: spawns `cnc-init run` into new namespaces, joins it to the
    /// cgroups, receives its terminal (`-t`), lets the network be attached, and releases it.
    /// nil when the workload runs (its exec happened).
    func startContainer() -> StartFailure? {
        let (syncR, syncW) = ChildProcess.pipe()
        let (errR, errW) = ChildProcess.pipe()
        var fdMap: [Int32]
        var outW: Int32 = -1, errWr: Int32 = -1, inR: Int32 = -1
        var console: [Int32] = [-1, -1]
        if tty {
            // cnc-init sends the terminal's master back through the console socket (its fd 5).
            if cshim_socketpair_cloexec(&console) != 0 {
                let e = errno
                [syncR, syncW, errR, errW].forEach { close($0) }
                return StartFailure("console socket: \(FileIO.describe(errno: e))")
            }
            let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
            fdMap = [devnull, devnull, devnull, syncR, errW, console[1]]
        } else {
            let o = ChildProcess.pipe(), e = ChildProcess.pipe()
            outRead = o.read; outW = o.write; errRead = e.read; errWr = e.write
            fdMap = [0, outW, errWr, syncR, errW]
            if stdinPipe {
                // `-i` without a caller: the container reads what `cnc attach` clients type.
                let i = ChildProcess.pipe()
                inR = i.read
                stdinWrite = i.write
                _ = fcntl(i.write, F_SETFL, fcntl(i.write, F_GETFL) | O_NONBLOCK)
                fdMap[0] = inR
            }
        }
        trace("spawn init")
        var pid: pid_t, err: Int32, step = "start cnc-init"
        if config.one("usernsuidmap") != nil {
            // A user namespace of its own: init starts in the container's directory.
            let r = ChildProcess.spawnUserns(initPath, ["cnc-init", "run", initConfig], fdMap: fdMap, flags: namespaceFlags,
                                             session: tty, cwd: dir, config: config, trace: trace.enabled)
            (pid, err) = (r.pid, r.errno)
            if !r.step.isEmpty { step = r.step }
        } else {
            (pid, err) = ChildProcess.spawn(initPath, ["cnc-init", "run", initConfig], fdMap: fdMap, flags: namespaceFlags,
                                            session: tty, trace: trace.enabled)
        }
        close(syncR); close(errW)
        if tty { close(fdMap[0]); close(console[1]) }
        if outW >= 0 { close(outW) }
        if inR >= 0 { close(inR) }
        if errWr >= 0 { close(errWr) }
        if pid < 0 || err != 0 {
            close(syncW); close(errR)
            if tty { close(console[0]) }
            return StartFailure("\(step): \(FileIO.describe(errno: err))")
        }
        for f in config.all("cgroupprocs") {
            let fd = open(f, O_WRONLY | O_CLOEXEC)
            let b = Array("\(pid)".utf8)
            let ok = fd >= 0 && b.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == b.count
            let e = errno
            if fd >= 0 { close(fd) }
            if !ok {
                // init runs its rootfs setup meanwhile; if that failed first, its error is the story.
                if tty { close(console[0]) }
                return abandon(pid, syncW: syncW, errR: errR, otherwise: "join cgroup \(f): \(FileIO.describe(errno: e))")
            }
        }
        trace("in cgroups")
        if tty {
            let master = cshim_recv_fd(console[0])
            let e = errno
            close(console[0])
            if master < 0 {
                // init failed its setup before the terminal was made: its error is the story.
                return abandon(pid, syncW: syncW, errR: errR, otherwise: "receive the container's terminal: \(FileIO.describe(errno: e))")
            }
            if ptyMaster >= 0 { close(ptyMaster) }
            ptyMaster = master
            _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
            // The caller's window size, when its stdin is a terminal.
            _ = cshim_tty_copy_size(0, master)
        }
        oomAtStart = oomCount()
        if let failure = runStartHooks(pid) {
            ChildProcess.kill(pid)
            close(syncW); close(errR)
            return failure
        }
        // Now the cgroup exists under every driver (a systemd scope is made by the hook).
        if let f = config.one("oomfile"), let k = config.one("oomkey") { oomWatch = OOMWatch(counterFile: f, key: k, start: oomAtStart) }
        var go: UInt8 = 1
        _ = write(syncW, &go, 1)
        close(syncW)
        // EOF on the error pipe means cnc-init reached exec (the pipe is close-on-exec).
        let report = FileIO.readAll(errR)
        trace("init exec'd")
        close(errR)
        if !report.isEmpty {
            ChildProcess.wait(pid)
            return StartFailure(initReport: report)
        }
        state.started(pid: pid, at: SystemClock.realtimeNanos())
        return nil
    }

    /// Seams before init is released: the CLI joins init to its cgroup when only the cgroup
    /// manager can (`cgrouphook`: systemd makes the scope with its first pid) and attaches the
    /// new network namespace (`nethook`); on restarts (the CLI is gone) the hook commands do
    /// it (`cnc cgroup-attach-hook ID PID`, then `cnc network-attach-hook ID PID`).
    private func runStartHooks(_ pid: pid_t) -> StartFailure? {
        let cgroup = config.flag("cgrouphook"), network = config.flag("nethook")
        guard cgroup || network else { return nil }
        let cgroupCmd = config.all("cgrouphookcmd"), networkCmd = config.all("nethookcmd")
        if state.restartCount > 0 && (!cgroup || !cgroupCmd.isEmpty) && (!network || !networkCmd.isEmpty) {
            if cgroup, let f = runHook(cgroupCmd, pid, "cgroup attach hook failed") { return f }
            if network, let f = runHook(networkCmd, pid, "network attach hook failed") { return f }
            return nil
        }
        report("created \(pid)")
        var b: UInt8 = 0
        return read(Self.networkReadyFD, &b, 1) == 1 ? nil : StartFailure(network ? "network setup was abandoned" : "cgroup setup was abandoned")
    }

    private func runHook(_ command: [String], _ pid: pid_t, _ failure: String) -> StartFailure? {
        runToEnd(command + ["\(pid)"]) == 0 ? nil : StartFailure(failure)
    }

    /// Runs a hook command (stdin and stdout /dev/null, stderr ours) and waits for it: its exit
    /// status, nil when it could not be started.
    func runToEnd(_ args: [String]) -> Int32? {
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        let (hp, herr) = ChildProcess.spawn(args[0], args, fdMap: [devnull, devnull, 2], trace: trace.enabled)
        close(devnull)
        return hp > 0 && herr == 0 ? ChildProcess.wait(hp) : nil
    }

    /// Kills an init that will not be released and returns its own setup error if it reported
    /// one before dying, else (125, `otherwise`).
    private func abandon(_ pid: pid_t, syncW: Int32, errR: Int32, otherwise: String) -> StartFailure {
        ChildProcess.kill(pid)
        close(syncW)
        let early = FileIO.readAll(errR)
        close(errR)
        return early.isEmpty ? StartFailure(otherwise) : StartFailure(initReport: early, otherwise: "")
    }
}
