import CShim
import Glibc

/// The lean per-container supervisor (conmon is the model). It is the parent of the
/// container's PID 1 after the CLI exits: it streams stdout/stderr to a json-lines log with
/// size rotation, records exit code, signal, OOM kill and times atomically in state.json,
/// applies the restart policy with exponential backoff, and runs health checks through
/// `cnc-init exec`. Single-threaded: one poll loop owns all of this state.
public final class Monitor {
    /// Where the CLI reads "pid N", "created N", "fail CODE MSG" and "exit CODE" lines.
    static let statusFD: Int32 = 3
    /// The CLI writes one byte here once it has joined the cgroup and attached the network
    /// (`cgrouphook`, `nethook`).
    static let networkReadyFD: Int32 = 6
    /// `--sdnotify=container` under a notify unit: EOF here once the CLI made us the unit's main pid.
    static let notifyGateFD: Int32 = 7

    let config: MonitorConfig
    /// The container's directory (state.json, container.log, stop-requested, health.conf).
    let dir: String
    let initPath: String
    let initConfig: String
    let tty: Bool
    /// Copy the output to the caller's stdout/stderr (fds 1, 2) as well as to the log; false
    /// again once the caller detached.
    var attach: Bool
    let namespaceFlags: UInt
    let restartPolicy: RestartPolicy
    let log: LogWriter
    let trace: Trace

    var state = ContainerState()
    var statusOpen = true
    let signalFD: Int32

    // The current run.
    var startedMono: Int64 = 0
    var oomAtStart: Int64 = 0
    /// The run's OOM watch (the cgroup's counters may be gone when its exit is seen).
    var oomWatch: OOMWatch?
    var outRead: Int32 = -1
    var errRead: Int32 = -1
    /// `-t`: the master of the terminal cnc-init made inside the container (a new one per start).
    var ptyMaster: Int32 = -1
    /// `-it` in the foreground: our stdin is the caller's and goes to the terminal until the
    /// first exit (bytes the terminal cannot take yet wait in `stdinPending`).
    var stdinOpen: Bool
    var stdinPending: [UInt8] = []
    /// The caller's detach keys (`run -it`, `start -ai`): typed, it leaves and the container runs on.
    var escape: EscapeMatcher
    /// `cnc rm -f ...` to run as we exit: `run -d --rm`, or a `run --rm -it` whose caller detached.
    var removeOnExit: [String]
    /// A container created with `-i` and started detached reads a pipe of ours (a new one per
    /// start), fed by `cnc attach` clients.
    let stdinPipe: Bool
    var stdinWrite: Int32 = -1
    /// `cnc attach`: the listening socket and the connected clients.
    var attachListen: Int32 = -1
    var attachClients: [Int32] = []
    /// `--sdnotify=container`: the container's notify socket, and ours towards the unit's.
    var notifyListen: Int32 = -1
    var notifySend: Int32 = -1
    /// When the backoff wait ends (monotonic), or -1.
    var restartAt: Int64 = -1

    // Health checks.
    /// health.conf without its target: cnc-init exec's configuration for the check.
    let healthTemplate: [UInt8]?
    let healthSettings: HealthCheckSettings
    var healthCheck: RunningHealthCheck?
    var nextHealthCheck = Int64.max

    public init(configPath: String) {
        trace = Trace()
        trace("start")
        guard let bytes = FileIO.read(path: configPath) else { die("cannot read \(configPath)") }
        config = MonitorConfig(bytes: bytes)
        guard let dir = config.one("dir"), let initPath = config.one("init"), let initConfig = config.one("initconf") else {
            die("configuration lacks dir/init/initconf")
        }
        self.dir = dir
        self.initPath = initPath
        self.initConfig = initConfig
        tty = config.flag("tty")
        attach = config.flag("attach")
        namespaceFlags = UInt(config.int("namespaces", 0))
        restartPolicy = config.restartPolicy
        let sink: LogWriter.Sink = switch config.one("logdriver") {
        case "journald":
            .journal(JournalSender(fields: config.all("journalfield").map { f in
                let kv = f.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
            }))
        case "none": .none
        default: .file
        }
        log = LogWriter(path: dir + "/container.log", maxSize: config.int("logmaxsize", 0), maxFiles: Int(config.int("logmaxfile", 1)), sink: sink)
        stdinOpen = tty && config.flag("ttystdin")
        escape = EscapeMatcher(keys: stdinOpen ? config.all("detachkey").compactMap { UInt8($0) } : [])
        removeOnExit = config.all("remove")
        stdinPipe = !tty && config.flag("stdinpipe")

        signal(SIGPIPE, SIG_IGN)
        _ = fcntl(Self.statusFD, F_SETFD, FD_CLOEXEC)

        healthSettings = config.healthCheckSettings
        healthTemplate = config.one("healthconf").flatMap { FileIO.read(path: $0) }
        if healthTemplate != nil { state.health = HealthState() }
        signalFD = cshim_signalfd_sigchld()
    }

    /// Starts the container and supervises it until it is gone for good; never returns.
    public func run() -> Never {
        startedMono = SystemClock.monotonicNanos()
        openNotifySocket()
        if let failure = startContainer() { failedStart(failure, report: "fail \(failure.code) \(failure.message)") }
        startedMono = SystemClock.monotonicNanos()
        saveState()
        report("pid \(state.pid)")
        openAttachSocket()
        if healthTemplate != nil { nextHealthCheck = SystemClock.monotonicNanos() + healthSettings.firstCheckDelay }
        while true {
            pollOnce()
            drainSignals()
            let containerDone = reap()
            tendHealthCheck()
            if containerDone { containerExited() }
            tendRestart()
        }
    }

    /// Waits for output, input, a child or the next deadline, and moves what is ready.
    private func pollOnce() {
        var fds: [pollfd] = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
        if ptyMaster >= 0 { fds.append(pollfd(fd: ptyMaster, events: Int16(POLLIN) | (stdinPending.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)) }
        if stdinOpen && stdinPending.isEmpty && ptyMaster >= 0 { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
        if outRead >= 0 { fds.append(pollfd(fd: outRead, events: Int16(POLLIN), revents: 0)) }
        if errRead >= 0 { fds.append(pollfd(fd: errRead, events: Int16(POLLIN), revents: 0)) }
        if let check = healthCheck, check.readFD >= 0 { fds.append(pollfd(fd: check.readFD, events: Int16(POLLIN), revents: 0)) }
        if stdinWrite >= 0 && !stdinPending.isEmpty { fds.append(pollfd(fd: stdinWrite, events: Int16(POLLOUT), revents: 0)) }
        if attachListen >= 0 { fds.append(pollfd(fd: attachListen, events: Int16(POLLIN), revents: 0)) }
        if let w = oomWatch, w.watching { fds.append(pollfd(fd: w.fd, events: w.pollEvents, revents: 0)) }
        if notifyListen >= 0 { fds.append(pollfd(fd: notifyListen, events: Int16(POLLIN), revents: 0)) }
        for c in attachClients { fds.append(pollfd(fd: c, events: Int16(POLLIN), revents: 0)) }
        let now = SystemClock.monotonicNanos()
        var deadline = Int64.max
        if restartAt >= 0 { deadline = min(deadline, restartAt) }
        if let check = healthCheck { deadline = min(deadline, check.startedMono + healthSettings.timeout) } else { deadline = min(deadline, nextHealthCheck) }
        let timeout: Int32 = deadline == Int64.max ? -1 : Int32(max(0, min((deadline - now) / 1_000_000 + 1, 3_600_000)))
        let r = poll(&fds, nfds_t(fds.count), timeout)
        if r < 0 && errno != EINTR { die("poll: \(errno)") }
        for p in fds where p.revents != 0 {
            if p.fd == outRead { outRead = relay(outRead, .stdout, to: 1) }
            else if p.fd == errRead { errRead = relay(errRead, .stderr, to: 2) }
            else if p.fd == ptyMaster && ptyMaster >= 0 {
                if p.revents & Int16(POLLOUT) != 0 { flushStdin() }
                // EIO (or EOF) once no process holds the terminal any more: stop polling it.
                if p.revents & ~Int16(POLLOUT) != 0 { ptyMaster = relay(ptyMaster, .stdout, to: 1) }
            }
            else if p.fd == 0 && stdinOpen { readStdin() }
            else if let check = healthCheck, p.fd == check.readFD { readHealthOutput() }
            else if p.fd == stdinWrite && stdinWrite >= 0 { flushStdin() }
            else if p.fd == attachListen && attachListen >= 0 { acceptAttachClient() }
            else if attachClients.contains(p.fd) { readAttachClient(p.fd) }
            else if let w = oomWatch, p.fd == w.fd { w.noteEvents() }
            else if p.fd == notifyListen && notifyListen >= 0 { readNotifySocket() }
        }
    }

    /// Empties the SIGCHLD signalfd (SIGWINCH arrives there too: the caller's terminal was
    /// resized, so is ours).
    private func drainSignals() {
        var info = [UInt8](repeating: 0, count: 128)
        while info.withUnsafeMutableBytes({ read(signalFD, $0.baseAddress, 128) }) > 0 {
            // signalfd_siginfo starts with ssi_signo.
            let signo = info.withUnsafeBytes { $0.load(as: UInt32.self) }
            if signo == UInt32(SIGWINCH) && ptyMaster >= 0 { _ = cshim_tty_copy_size(0, ptyMaster) }
        }
    }

    /// Reaps every exited child; true when the container's PID 1 was one of them.
    private func reap() -> Bool {
        var containerDone = false
        while true {
            var st: Int32 = 0
            let p = waitpid(-1, &st, WNOHANG)
            if p <= 0 { break }
            let (code, signal) = ChildProcess.exitCode(status: st)
            if let check = healthCheck, p == check.pid { finishHealthCheck(exitCode: code); continue }
            if p == state.pid {
                containerDone = true
                state.signal = signal
                state.exitCode = code
            }
        }
        return containerDone
    }
}
