import Glibc

/// Recording exits (state.json, the status pipe) and acting on the restart policy.
extension Monitor {
    func saveState() { FileIO.writeAtomically(dir + "/state.json", state.json(monitorPid: getpid(), monitorStart: Self.ownStart)) }

    /// When this process started, in clock ticks since boot (/proc/self/stat's field 22): with
    /// the pid it names this monitor exactly, so a pid reused after a reboot or in a new pid
    /// namespace is never taken for it. 0 when /proc cannot tell.
    static let ownStart: Int64 = {
        guard let bytes = FileIO.read(path: "/proc/self/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return 0 }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 19 else { return 0 }
        return Int64(String(decoding: fields[19], as: UTF8.self)) ?? 0
    }()

    /// A line for the CLI on the status pipe, while it listens.
    func report(_ line: String) {
        guard statusOpen else { return }
        let b = Array((line + "\n").utf8)
        let n = b.withUnsafeBytes { write(Self.statusFD, $0.baseAddress, $0.count) }
        if n < 0 {
            statusOpen = false
            close(Self.statusFD)
        }
    }

    /// A container event in the root's log, with the attributes the CLI gave (`eventattr`
    /// pairs: image, name, labels) plus `extra`. Nothing without an `events` path.
    func event(_ action: String, _ extra: [String: String] = [:]) {
        guard let path = config.one("events"), let id = config.one("eventid") else { return }
        let pairs = config.all("eventattr")
        var attrs = stride(from: 0, to: pairs.count - 1, by: 2).map { (pairs[$0], pairs[$0 + 1]) }
        // A container renamed while it runs (`cnc rename` writes the file): its new name.
        if let renamed = FileIO.read(path: dir + "/" + EventLog.renamedFile), !renamed.isEmpty {
            attrs = attrs.filter { $0.0 != "name" } + [("name", String(decoding: renamed, as: UTF8.self))]
        }
        attrs += extra.map { ($0.key, $0.value) }
        EventLog.append(path, type: "container", action: action, id: id, attributes: attrs)
    }

    /// `cnc stop` (or `rm -f`) marked the container: no restart.
    var stopRequested: Bool { access(Self.stopRequestPath(dir), F_OK) == 0 }

    /// The marker a stopping command leaves in the container's directory: the monitor then
    /// never restarts it. Its content says who releases the network (`stopperDetaches`).
    public static func stopRequestPath(_ containerDirectory: String) -> String { containerDirectory + "/stop-requested" }

    /// What `stop-requested` says when the stopping command releases the network itself, right
    /// after it sees the exit recorded (`cnc stop`, `rm -f`, cncapply's stops and removals:
    /// CNCRuntime writes it).
    public static let stopperDetaches = "detach"

    /// True when the stopper releases the network: the monitor then skips its release, an exec
    /// of `cnc-cli network-detach-hook` on the stop path of every bridged container.
    var stopperDetaches: Bool {
        FileIO.read(path: Self.stopRequestPath(dir)).map { String(decoding: $0, as: UTF8.self) == Self.stopperDetaches } ?? false
    }

    /// The container's PID 1 is gone: record how, then end or wait out the backoff.
    func containerExited() {
        drainOutput()
        state.finishedAt = SystemClock.realtimeNanos()
        state.oomKilled = oomWatch?.oomKilled(killed: state.signal == SIGKILL) ?? (oomCount() > oomAtStart)
        oomWatch = nil
        state.status = .exited
        if let check = healthCheck { kill(check.pid, SIGKILL) }
        let ranFor = SystemClock.monotonicNanos() - startedMono
        event("die", ["exitCode": String(state.exitCode), "execDuration": String(ranFor / 1_000_000_000)])
        switch restartPolicy.decide(exitCode: state.exitCode, restartCount: state.restartCount, ranFor: ranFor, stopRequested: stopRequested) {
        case .exit:
            state.health?.containerExited()
            releaseNetwork()
            exitRecorded()
        case .restart(let delay):
            state.status = .restarting
            saveState()
            endAttachments(exitCode: state.exitCode)
            restartAt = SystemClock.monotonicNanos() + delay
        }
    }

    /// Restarts once the backoff wait is over; a stop during the wait ends the monitor now
    /// rather than at the next attempt.
    func tendRestart() {
        guard restartAt >= 0 else { return }
        // Stopped between two runs: the attachment the restarts kept goes now (unless the
        // stopper releases it itself).
        if stopRequested { releaseNetwork(); exitRecorded() }
        guard SystemClock.monotonicNanos() >= restartAt else { return }
        restartAt = -1
        if stopRequested { releaseNetwork(); exitRecorded() }
        state.restartCount += 1
        if let failure = startContainer() { failedStart(failure, report: "exit \(failure.code)") }
        event("start")
        startedMono = SystemClock.monotonicNanos()
        saveState()
        if healthTemplate != nil { nextHealthCheck = SystemClock.monotonicNanos() + healthSettings.interval }
    }

    /// The container is gone for good: its network attachment goes before state.json says
    /// `exited`, so whoever sees the exit (`cnc stop`, `wait`, a new start) finds it released.
    /// Restarts keep it: the next run's attach replaces it.
    func releaseNetwork() {
        let command = config.all("netdetachcmd")
        guard !command.isEmpty, state.pid > 0, !stopperDetaches else { return }
        _ = runToEnd(command + ["\(state.pid)"])
    }

    /// Records a start that failed (exit code and message) and ends the monitor.
    func failedStart(_ failure: StartFailure, report line: String) -> Never {
        releaseNetwork()
        state.status = .exited
        state.exitCode = failure.code
        state.error = failure.message
        state.finishedAt = SystemClock.realtimeNanos()
        saveState()
        report(line)
        finish()
    }

    /// The container has exited for good: state.json says so, then attached clients and the CLI
    /// hear the code (so whoever returns on it, `cnc attach` or `run`, finds the exit recorded).
    private func exitRecorded() -> Never {
        state.status = .exited
        saveState()
        endAttachments(exitCode: state.exitCode)
        report("exit \(state.exitCode)")
        finish()
    }

    /// `run -d --rm` (or a detached `run --rm -it`): hand the removal to `cnc rm -f` once we are
    /// about to exit (it waits for us).
    private func finish() -> Never {
        closeAttachSocket()
        closeNotifySocket()
        let removeArgs = removeOnExit
        if !removeArgs.isEmpty {
            let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
            _ = ChildProcess.spawn(removeArgs[0], removeArgs, fdMap: [devnull, devnull, devnull], session: true, trace: trace.enabled)
        }
        exit(0)
    }

    /// The cgroup's OOM kill count (memory.events' or memory.oom_control's `oomkey` line).
    func oomCount() -> Int64 {
        guard let f = config.one("oomfile"), let key = config.one("oomkey"), let b = FileIO.read(path: f) else { return 0 }
        return OOMWatch.value(of: key, in: b)
    }
}
