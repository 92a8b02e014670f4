import Glibc

/// A health check in flight: `cnc-init exec` with the check's command in the container.
struct RunningHealthCheck {
    let pid: pid_t
    /// Its stdout and stderr; -1 once at EOF.
    var readFD: Int32
    var output: [UInt8] = []
    let started: Int64
    let startedMono: Int64
}

extension Monitor {
    /// Kills a check past its timeout, or starts the next one when it is due.
    func tendHealthCheck() {
        let t = SystemClock.monotonicNanos()
        if let check = healthCheck {
            if healthSettings.hasTimedOut(runningFor: t - check.startedMono) { kill(check.pid, SIGKILL) }
        } else if state.status == .running && t >= nextHealthCheck {
            nextHealthCheck = Int64.max
            startHealthCheck()
        }
    }

    private func startHealthCheck() {
        guard let template = healthTemplate, state.status == .running else { return }
        let path = dir + "/health.conf"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 { return }
        FileIO.writeAll(fd, template + Array("target\0\(state.pid)\0".utf8))
        close(fd)
        let (r, w) = ChildProcess.pipe()
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let (pid, err) = ChildProcess.spawn(initPath, ["cnc-init", "exec", path], fdMap: [devnull, w, w, w], trace: trace.enabled)
        close(w)
        close(devnull)
        if pid < 0 || err != 0 { close(r); return }
        healthCheck = RunningHealthCheck(pid: pid, readFD: r, started: SystemClock.realtimeNanos(), startedMono: SystemClock.monotonicNanos())
    }

    /// The check wrote something (kept up to 64 KiB) or closed its output.
    func readHealthOutput() {
        guard var check = healthCheck else { return }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { read(check.readFD, $0.baseAddress, $0.count) }
        if n > 0 {
            if check.output.count < 65536 { check.output += buf[0..<n] }
        } else {
            close(check.readFD)
            check.readFD = -1
        }
        healthCheck = check
    }

    /// The check exited: its result moves the container's health, and the next one is due
    /// an interval from now.
    func finishHealthCheck(exitCode: Int32) {
        guard var check = healthCheck else { return }
        if check.readFD >= 0 {
            check.output += FileIO.readAll(check.readFD)
            close(check.readFD)
        }
        healthCheck = nil
        let result = HealthCheckResult(start: check.started, end: SystemClock.realtimeNanos(), exitCode: exitCode,
                                       output: String(decoding: check.output.prefix(4096), as: UTF8.self))
        let before = state.health?.status
        state.health?.record(result, sinceStart: SystemClock.monotonicNanos() - startedMono, settings: healthSettings)
        saveState()
        // Docker's event on each change of health (`health_status: healthy`), after the state.
        if let now = state.health?.status, now != before { event("health_status: " + now.rawValue) }
        nextHealthCheck = SystemClock.monotonicNanos() + healthSettings.interval
    }
}
