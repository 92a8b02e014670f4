// cnc-monitor: the lean per-container supervisor (conmon is the model). It is the parent of the
// container's PID 1 after the CLI exits: it streams stdout/stderr to a json-lines log with size
// rotation, records exit code, signal, OOM kill and times atomically in state.json, applies the
// restart policy with exponential backoff, and runs health checks through `cnc-init exec`.
// Glibc only (no Foundation) and static, so an idle container costs a few hundred KB.
import CShim
import Glibc

// MARK: - configuration (NUL-separated "key\0value\0" pairs written by the CLI)

struct Config {
    var values: [String: [String]] = [:]
    func one(_ k: String) -> String? { values[k]?.last }
    func all(_ k: String) -> [String] { values[k] ?? [] }
    func int(_ k: String, _ d: Int64) -> Int64 { one(k).flatMap { Int64($0) } ?? d }
}

func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 16384)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

func loadConfig(_ path: String) -> Config {
    var c = Config()
    guard let bytes = readFile(path) else { die("cannot read \(path)") }
    let toks = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    var i = 0
    while i + 1 < toks.count {
        c.values[toks[i], default: []].append(toks[i + 1])
        i += 2
    }
    return c
}

let traceOn = getenv("CNC_TRACE") != nil
func trace(_ what: String) {
    guard traceOn else { return }
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    let ms = (Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000) % 100_000
    let b = Array("trace monitor @\(ms): \(what)\n".utf8)
    _ = b.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func die(_ msg: String) -> Never {
    let b = Array("cnc-monitor: \(msg)\n".utf8)
    _ = b.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(125)
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 { if errno == EINTR { continue }; return }
        off += n
    }
}

// MARK: - time and JSON

func nowNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

func monoNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// RFC 3339 with nanoseconds in UTC, e.g. 2026-11-29T05:44:01.123456789Z.
func rfc3339(_ nanos: Int64) -> String {
    let secs = nanos / 1_000_000_000
    let frac = nanos % 1_000_000_000
    var days = secs / 86400
    let rem = secs % 86400
    // Howard Hinnant's civil_from_days.
    days += 719_468
    let era = days / 146_097
    let doe = days - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func pad(_ v: Int64, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2)).\(pad(frac, 9))Z"
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

func writeFileAtomically(_ path: String, _ text: String) {
    let tmp = path + ".tmp"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { return }
    writeAll(fd, Array(text.utf8))
    close(fd)
    rename(tmp, path)
}

// MARK: - the json-lines log with size rotation

final class LogWriter {
    let path: String
    let maxSize: Int64
    let maxFiles: Int
    var fd: Int32 = -1
    var size: Int64 = 0
    var partial: [String: [UInt8]] = [:]

    init(path: String, maxSize: Int64, maxFiles: Int) {
        self.path = path; self.maxSize = maxSize; self.maxFiles = max(1, maxFiles)
        reopen()
    }

    func reopen() {
        if fd >= 0 { close(fd) }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    func rotate() {
        if maxFiles <= 1 {
            _ = ftruncate(fd, 0)
            size = 0
            return
        }
        var i = maxFiles - 1
        while i >= 1 {
            let from = i == 1 ? path : "\(path).\(i - 1)"
            rename(from, "\(path).\(i)")
            i -= 1
        }
        reopen()
    }

    func line(_ stream: String, _ bytes: ArraySlice<UInt8>) {
        let text = "{\"log\":\(jsonString(String(decoding: bytes, as: UTF8.self))),\"stream\":\"\(stream)\",\"time\":\"\(rfc3339(nowNanos()))\"}\n"
        let b = Array(text.utf8)
        if maxSize > 0 && size > 0 && size + Int64(b.count) > maxSize { rotate() }
        writeAll(fd, b)
        size += Int64(b.count)
    }

    /// Splits on newlines; a partial line waits for its end (or 16 KiB, as Docker does).
    func write(_ stream: String, _ data: ArraySlice<UInt8>) {
        var buf = partial[stream, default: []]
        buf += data
        var start = 0
        for i in 0..<buf.count where buf[i] == 10 {
            line(stream, buf[start...i])
            start = i + 1
        }
        if buf.count - start >= 16384 { line(stream, buf[start...]); start = buf.count }
        partial[stream] = Array(buf[start...])
    }

    func flush() {
        for (stream, rest) in partial where !rest.isEmpty { line(stream, rest[...]) }
        partial = [:]
    }
}

// MARK: - state

struct HealthResult { var start: Int64; var end: Int64; var exitCode: Int32; var output: String }

final class State {
    var status = "created"
    var pid: Int32 = 0
    var exitCode: Int32 = 0
    var signal: Int32 = 0
    var oomKilled = false
    var error = ""
    var startedAt: Int64 = 0
    var finishedAt: Int64 = 0
    var restartCount = 0
    var health: String? = nil
    var failingStreak = 0
    var healthLog: [HealthResult] = []

    func json() -> String {
        func t(_ n: Int64) -> String { n == 0 ? "0001-01-01T00:00:00Z" : rfc3339(n) }
        var s = "{\"Status\":\"\(status)\",\"Running\":\(status == "running"),\"Paused\":false,"
        s += "\"Restarting\":\(status == "restarting"),\"OOMKilled\":\(oomKilled),\"Dead\":false,"
        s += "\"Pid\":\(status == "running" ? pid : 0),\"ExitCode\":\(exitCode),\"Signal\":\(signal),"
        s += "\"Error\":\(jsonString(error)),\"StartedAt\":\"\(t(startedAt))\",\"FinishedAt\":\"\(t(finishedAt))\","
        s += "\"RestartCount\":\(restartCount),\"MonitorPid\":\(getpid())"
        if let health {
            s += ",\"Health\":{\"Status\":\"\(health)\",\"FailingStreak\":\(failingStreak),\"Log\":["
            s += healthLog.map {
                "{\"Start\":\"\(t($0.start))\",\"End\":\"\(t($0.end))\",\"ExitCode\":\($0.exitCode),\"Output\":\(jsonString($0.output))}"
            }.joined(separator: ",")
            s += "]}"
        }
        return s + "}\n"
    }
}

// MARK: - the monitor

/// `rm -rf` without following links (and without crossing into mounts: rmdir fails there).
func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        if let d = opendir(path) {
            var names: [String] = []
            while let e = readdir(d) {
                let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                if n != "." && n != ".." { names.append(n) }
            }
            closedir(d)
            for n in names { removeTree(path + "/" + n) }
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}

guard CommandLine.arguments.count >= 2 else { die("usage: cnc-monitor CONFIG | cnc-monitor --remove-tree DIR") }
// Deleting a removed container's directory happens here, off the CLI's path: on a disk
// with online discard each rmdir costs milliseconds.
if CommandLine.arguments[1] == "--remove-tree" {
    for dir in CommandLine.arguments.dropFirst(2) where dir.contains("/.trash/") { removeTree(dir) }
    exit(0)
}
trace("start")
let conf = loadConfig(CommandLine.arguments[1])
guard let dir = conf.one("dir"), let initPath = conf.one("init"), let initConf = conf.one("initconf") else {
    die("configuration lacks dir/init/initconf")
}
let statePath = dir + "/state.json"
let state = State()
let tty = conf.one("tty") == "1"
let attach = conf.one("attach") == "1"
let nsFlags = UInt(conf.int("namespaces", 0))
let policy = conf.one("restart") ?? "no"
let maxRestarts = Int(conf.int("restartmax", 0))
let log = LogWriter(path: dir + "/container.log", maxSize: conf.int("logmaxsize", 0), maxFiles: Int(conf.int("logmaxfile", 1)))
let statusFD: Int32 = 3
/// `-t`: the master of the terminal cnc-init made inside the container (a new one per start).
var ptyMaster: Int32 = -1
/// `-it` in the foreground: our stdin is the caller's and goes to the terminal until the first
/// exit (bytes the terminal cannot take yet wait in `stdinPending`).
var stdinOpen = tty && conf.one("ttystdin") == "1"
var stdinPending: [UInt8] = []
var statusOpen = true

signal(SIGPIPE, SIG_IGN)
fcntl(statusFD, F_SETFD, FD_CLOEXEC)

func report(_ line: String) {
    guard statusOpen else { return }
    let b = Array((line + "\n").utf8)
    let n = b.withUnsafeBytes { write(statusFD, $0.baseAddress, $0.count) }
    if n < 0 { statusOpen = false; close(statusFD) }
}

func saveState() { writeFileAtomically(statePath, state.json()) }

/// `run -d --rm`: hand the removal to `cnc rm -f` once we are about to exit (it waits for us).
func finish() -> Never {
    let removeArgs = conf.all("remove")
    if !removeArgs.isEmpty {
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        _ = spawn(removeArgs[0], removeArgs, fdMap: [devnull, devnull, devnull], flags: 0, session: true, ctty: -1)
    }
    exit(0)
}

func oomCount() -> Int64 {
    guard let f = conf.one("oomfile"), let key = conf.one("oomkey"), let b = readFile(f) else { return 0 }
    for line in String(decoding: b, as: UTF8.self).split(separator: "\n") {
        let p = line.split(separator: " ")
        if p.count == 2, p[0] == key { return Int64(p[1]) ?? 0 }
    }
    return 0
}

func spawn(_ path: String, _ args: [String], fdMap: [Int32], flags: UInt, session: Bool, ctty: Int32) -> (pid: pid_t, errno: Int32) {
    var argv = args.map { strdup($0) }
    argv.append(nil)
    var envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")]
    if traceOn { envp.append(strdup("CNC_TRACE=1")) }
    envp.append(nil)
    defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
    var execErrno: Int32 = 0
    let pid = fdMap.withUnsafeBufferPointer { map -> pid_t in
        var attr = cshim_spawn_attr(clone_flags: flags, fd_map: map.baseAddress, fd_map_len: Int32(map.count),
                                    new_session: session ? 1 : 0, controlling_tty: ctty, cwd: nil)
        return cshim_spawn(path, argv, envp, &attr, &execErrno)
    }
    return (pid, pid < 0 ? errno : execErrno)
}

func pipePair() -> (Int32, Int32) {
    var fds: [Int32] = [-1, -1]
    if cshim_pipe_cloexec(&fds) != 0 { die("pipe: \(errno)") }
    return (fds[0], fds[1])
}

var outRead: Int32 = -1
var errRead: Int32 = -1
var oomAtStart: Int64 = 0

/// Kills an init that will not be released and returns its own setup error if it reported
/// one before dying, else (125, `otherwise`).
func abandon(_ pid: pid_t, syncW: Int32, errR: Int32, otherwise: String) -> (Int32, String) {
    kill(pid, SIGKILL)
    var st: Int32 = 0
    waitpid(pid, &st, 0)
    close(syncW)
    let early = readAllFD(errR)
    close(errR)
    if !early.isEmpty {
        let parts = String(decoding: early, as: UTF8.self).split(separator: "\n", maxSplits: 1)
        return (parts.first.flatMap { Int32($0) } ?? 125, parts.count > 1 ? String(parts[1]) : "")
    }
    return (125, otherwise)
}

/// Starts the container's init; returns nil on success or (status, message) on failure.
func startContainer() -> (Int32, String)? {
    let (syncR, syncW) = pipePair()
    let (errR, errW) = pipePair()
    var fdMap: [Int32]
    var outW: Int32 = -1, errWr: Int32 = -1
    var console: [Int32] = [-1, -1]
    if tty {
        // cnc-init sends the terminal's master back through the console socket (its fd 5).
        if cshim_socketpair_cloexec(&console) != 0 { close(syncR); close(syncW); close(errR); close(errW); return (125, "console socket: \(String(cString: strerror(errno)))") }
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        fdMap = [devnull, devnull, devnull, syncR, errW, console[1]]
    } else {
        let o = pipePair(), e = pipePair()
        outRead = o.0; outW = o.1; errRead = e.0; errWr = e.1
        fdMap = [0, outW, errWr, syncR, errW]
    }
    trace("spawn init")
    let (pid, err) = spawn(initPath, ["cnc-init", "run", initConf], fdMap: fdMap, flags: nsFlags, session: tty, ctty: -1)
    close(syncR); close(errW)
    if tty { close(fdMap[0]); close(console[1]) }
    if outW >= 0 { close(outW) }
    if errWr >= 0 { close(errWr) }
    if pid < 0 || err != 0 {
        close(syncW); close(errR)
        if tty { close(console[0]) }
        return (125, "start cnc-init: \(String(cString: strerror(err)))")
    }
    for f in conf.all("cgroupprocs") {
        let fd = open(f, O_WRONLY | O_CLOEXEC)
        let b = Array("\(pid)".utf8)
        let ok = fd >= 0 && b.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == b.count
        let e = errno
        if fd >= 0 { close(fd) }
        if !ok {
            // init runs its rootfs setup meanwhile; if that failed first, its error is the story.
            if tty { close(console[0]) }
            return abandon(pid, syncW: syncW, errR: errR, otherwise: "join cgroup \(f): \(String(cString: strerror(e)))")
        }
    }
    trace("in cgroups")
    if tty {
        let master = cshim_recv_fd(console[0])
        let e = errno
        close(console[0])
        if master < 0 {
            // init failed its setup before the terminal was made: its error is the story.
            return abandon(pid, syncW: syncW, errR: errR, otherwise: "receive the container's terminal: \(String(cString: strerror(e)))")
        }
        if ptyMaster >= 0 { close(ptyMaster) }
        ptyMaster = master
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        // The caller's window size, when its stdin is a terminal.
        _ = cshim_tty_copy_size(0, master)
    }
    oomAtStart = oomCount()
    // Network seam: the CLI attaches the new network namespace (by pid) before we release init;
    // on restarts (the CLI is gone) the hook command does it (`cnc network-attach-hook ID PID`).
    if conf.one("nethook") == "1" && state.restartCount > 0 && !conf.all("nethookcmd").isEmpty {
        let args = conf.all("nethookcmd") + ["\(pid)"]
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        let (hp, herr) = spawn(args[0], args, fdMap: [devnull, devnull, 2], flags: 0, session: false, ctty: -1)
        close(devnull)
        var st: Int32 = 0
        if hp > 0 && herr == 0 { while waitpid(hp, &st, 0) < 0 && errno == EINTR {} }
        if hp <= 0 || herr != 0 || st != 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &st, 0)
            close(syncW); close(errR)
            return (125, "network attach hook failed")
        }
    } else if conf.one("nethook") == "1" {
        report("created \(pid)")
        var b: UInt8 = 0
        let n = read(6, &b, 1)
        if n != 1 {
            kill(pid, SIGKILL)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
            close(syncW); close(errR)
            return (125, "network setup was abandoned")
        }
    }
    var go: UInt8 = 1
    _ = write(syncW, &go, 1)
    close(syncW)
    // EOF on the error pipe means cnc-init reached exec (the pipe is close-on-exec).
    let msg = readAllFD(errR)
    trace("init exec'd")
    close(errR)
    if !msg.isEmpty {
        var st: Int32 = 0
        waitpid(pid, &st, 0)
        let text = String(decoding: msg, as: UTF8.self)
        let parts = text.split(separator: "\n", maxSplits: 1)
        let code = parts.first.flatMap { Int32($0) } ?? 125
        return (code, parts.count > 1 ? String(parts[1]) : text)
    }
    state.pid = pid
    state.status = "running"
    state.startedAt = nowNanos()
    state.exitCode = 0
    state.signal = 0
    state.oomKilled = false
    state.error = ""
    if state.health != nil { state.health = "starting"; state.failingStreak = 0 }
    return nil
}

func readAllFD(_ fd: Int32) -> [UInt8] {
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return out }
        out += buf[0..<n]
    }
}

// Health checks.
let healthInterval = conf.int("healthinterval", 30_000_000_000)
let healthTimeout = conf.int("healthtimeout", 30_000_000_000)
let healthRetries = Int(conf.int("healthretries", 3))
let healthStartPeriod = conf.int("healthstartperiod", 0)
let healthTemplate = conf.one("healthconf").flatMap { readFile($0) }
if healthTemplate != nil { state.health = "starting" }
var healthPid: pid_t = -1
var healthRead: Int32 = -1
var healthOutput: [UInt8] = []
var healthStarted: Int64 = 0
var healthStartedMono: Int64 = 0
var nextHealth: Int64 = Int64.max

func startHealthCheck() {
    guard let template = healthTemplate, state.status == "running" else { return }
    let path = dir + "/health.conf"
    var b = template
    b += Array("target\0\(state.pid)\0".utf8)
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    if fd < 0 { return }
    writeAll(fd, b)
    close(fd)
    let (r, w) = pipePair()
    let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
    let (pid, err) = spawn(initPath, ["cnc-init", "exec", path], fdMap: [devnull, w, w, w], flags: 0, session: false, ctty: -1)
    close(w); close(devnull)
    if pid < 0 || err != 0 { close(r); return }
    healthPid = pid
    healthRead = r
    healthOutput = []
    healthStarted = nowNanos()
    healthStartedMono = monoNanos()
}

func finishHealthCheck(exitCode: Int32) {
    if healthRead >= 0 { healthOutput += readAllFD(healthRead); close(healthRead); healthRead = -1 }
    healthPid = -1
    let out = String(decoding: healthOutput.prefix(4096), as: UTF8.self)
    state.healthLog.append(HealthResult(start: healthStarted, end: nowNanos(), exitCode: exitCode, output: out))
    if state.healthLog.count > 5 { state.healthLog.removeFirst(state.healthLog.count - 5) }
    let inStartPeriod = monoNanos() - startedMono < healthStartPeriod
    if exitCode == 0 {
        state.health = "healthy"
        state.failingStreak = 0
    } else if !inStartPeriod {
        state.failingStreak += 1
        if state.failingStreak >= healthRetries { state.health = "unhealthy" }
    }
    saveState()
    nextHealth = monoNanos() + healthInterval
}

// Start, supervise, restart.
let sigfd = cshim_signalfd_sigchld()
var startedMono = monoNanos()

/// Records a start that failed (exit code and message) and ends the monitor.
func failedStart(_ code: Int32, _ msg: String, report line: String) -> Never {
    state.status = "exited"
    state.exitCode = code
    state.error = msg
    state.finishedAt = nowNanos()
    saveState()
    report(line)
    finish()
}

if let (code, msg) = startContainer() { failedStart(code, msg, report: "fail \(code) \(msg)") }
startedMono = monoNanos()
saveState()
report("pid \(state.pid)")
if healthTemplate != nil { nextHealth = monoNanos() + min(healthInterval, max(healthStartPeriod, 1_000_000_000)) }

func pump(_ fd: inout Int32, _ stream: String, _ attachFD: Int32) {
    var buf = [UInt8](repeating: 0, count: 32768)
    let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n > 0 {
        log.write(stream, buf[0..<n])
        if attach { writeAll(attachFD, Array(buf[0..<n])) }
    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
        close(fd)
        fd = -1
    }
}

/// Writes what the terminal takes of the caller's pending input (the master is non-blocking).
func flushStdin() {
    guard ptyMaster >= 0 else { stdinPending = []; return }
    while !stdinPending.isEmpty {
        let n = stdinPending.withUnsafeBytes { write(ptyMaster, $0.baseAddress, $0.count) }
        if n > 0 { stdinPending.removeFirst(n); continue }
        if n < 0 && errno == EINTR { continue }
        if n < 0 && errno != EAGAIN { stdinPending = [] }
        return
    }
}

/// What the workload wrote to its terminal before it died; then the terminal goes (a restart
/// makes a new one).
func drainTerminal() {
    guard ptyMaster >= 0 else { return }
    var buf = [UInt8](repeating: 0, count: 32768)
    while true {
        let n = buf.withUnsafeMutableBytes { read(ptyMaster, $0.baseAddress, $0.count) }
        if n > 0 { log.write("stdout", buf[0..<n]); if attach { writeAll(1, Array(buf[0..<n])) }; continue }
        if n < 0 && errno == EINTR { continue }
        break
    }
    close(ptyMaster)
    ptyMaster = -1
}

var containerDone = false
var restartAt: Int64 = -1
while true {
    var fds: [pollfd] = [pollfd(fd: sigfd, events: Int16(POLLIN), revents: 0)]
    if ptyMaster >= 0 { fds.append(pollfd(fd: ptyMaster, events: Int16(POLLIN) | (stdinPending.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)) }
    if stdinOpen && stdinPending.isEmpty && ptyMaster >= 0 { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
    if outRead >= 0 { fds.append(pollfd(fd: outRead, events: Int16(POLLIN), revents: 0)) }
    if errRead >= 0 { fds.append(pollfd(fd: errRead, events: Int16(POLLIN), revents: 0)) }
    if healthRead >= 0 { fds.append(pollfd(fd: healthRead, events: Int16(POLLIN), revents: 0)) }
    let now = monoNanos()
    var deadline = Int64.max
    if restartAt >= 0 { deadline = min(deadline, restartAt) }
    if healthPid > 0 { deadline = min(deadline, healthStartedMono + healthTimeout) } else { deadline = min(deadline, nextHealth) }
    let timeout: Int32 = deadline == Int64.max ? -1 : Int32(max(0, min((deadline - now) / 1_000_000 + 1, 3_600_000)))
    let r = poll(&fds, nfds_t(fds.count), timeout)
    if r < 0 && errno != EINTR { die("poll: \(errno)") }
    for p in fds where p.revents != 0 {
        if p.fd == outRead { pump(&outRead, "stdout", 1) }
        else if p.fd == errRead { pump(&errRead, "stderr", 2) }
        else if p.fd == ptyMaster && ptyMaster >= 0 {
            if p.revents & Int16(POLLOUT) != 0 { flushStdin() }
            // EIO (or EOF) once no process holds the terminal any more: stop polling it.
            if p.revents & ~Int16(POLLOUT) != 0 { pump(&ptyMaster, "stdout", 1) }
        }
        else if p.fd == 0 && stdinOpen {
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n > 0 { stdinPending += buf[0..<n]; flushStdin() } else if n == 0 || (errno != EINTR && errno != EAGAIN) { stdinOpen = false }
        }
        else if p.fd == healthRead {
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { read(healthRead, $0.baseAddress, $0.count) }
            if n > 0 { if healthOutput.count < 65536 { healthOutput += buf[0..<n] } } else { close(healthRead); healthRead = -1 }
        }
    }
    // Reap.
    var info = [UInt8](repeating: 0, count: 128)
    while info.withUnsafeMutableBytes({ read(sigfd, $0.baseAddress, 128) }) > 0 {
        // signalfd_siginfo starts with ssi_signo. The caller's terminal was resized: so is ours.
        let signo = info.withUnsafeBytes { $0.load(as: UInt32.self) }
        if signo == UInt32(SIGWINCH) && ptyMaster >= 0 { _ = cshim_tty_copy_size(0, ptyMaster) }
    }
    while true {
        var st: Int32 = 0
        let p = waitpid(-1, &st, WNOHANG)
        if p <= 0 { break }
        let exited = st & 0x7f == 0
        let code = exited ? (st >> 8) & 0xff : 128 + (st & 0x7f)
        if p == healthPid { finishHealthCheck(exitCode: code); continue }
        if p == state.pid { containerDone = true; state.signal = exited ? 0 : st & 0x7f; state.exitCode = code }
    }
    let t = monoNanos()
    if healthPid > 0 && t - healthStartedMono > healthTimeout {
        kill(healthPid, SIGKILL)
    } else if healthPid < 0 && state.status == "running" && t >= nextHealth {
        nextHealth = Int64.max
        startHealthCheck()
    }
    if containerDone {
        // Drain what the container wrote before it died.
        while outRead >= 0 { pump(&outRead, "stdout", 1) }
        while errRead >= 0 { pump(&errRead, "stderr", 2) }
        drainTerminal()
        // The caller's input belonged to the first run; a restart reads nothing of it.
        stdinOpen = false
        stdinPending = []
        log.flush()
        containerDone = false
        state.finishedAt = nowNanos()
        state.oomKilled = oomCount() > oomAtStart
        state.status = "exited"
        if healthPid > 0 { kill(healthPid, SIGKILL) }
        let stopRequested = access(dir + "/stop-requested", F_OK) == 0
        var restart = false
        if !stopRequested {
            switch policy {
            case "always", "unless-stopped": restart = maxRestarts <= 0 || state.restartCount < maxRestarts
            case "on-failure": restart = state.exitCode != 0 && (maxRestarts <= 0 || state.restartCount < maxRestarts)
            default: restart = false
            }
        }
        if !restart {
            if state.health != nil && state.health != "unhealthy" { state.health = "unhealthy" }
            saveState()
            report("exit \(state.exitCode)")
            finish()
        }
        // Docker's backoff: 100 ms doubling, reset after a run of 10 s or more.
        let ranFor = monoNanos() - startedMono
        if ranFor >= 10_000_000_000 { state.restartCount = state.restartCount > 0 ? state.restartCount : 0 }
        let exponent = min(state.restartCount, 10)
        let delay: Int64 = ranFor >= 10_000_000_000 ? 100_000_000 : min(100_000_000 << Int64(exponent), 60_000_000_000)
        state.status = "restarting"
        saveState()
        restartAt = monoNanos() + delay
    }
    // A stop during the backoff wait ends the monitor now rather than at the next attempt.
    if restartAt >= 0 && access(dir + "/stop-requested", F_OK) == 0 {
        state.status = "exited"
        saveState()
        report("exit \(state.exitCode)")
        finish()
    }
    if restartAt >= 0 && monoNanos() >= restartAt {
        restartAt = -1
        if access(dir + "/stop-requested", F_OK) == 0 {
            state.status = "exited"
            saveState()
            report("exit \(state.exitCode)")
            finish()
        }
        state.restartCount += 1
        if let (code, msg) = startContainer() { failedStart(code, msg, report: "exit \(code)") }
        startedMono = monoNanos()
        saveState()
        if healthTemplate != nil { nextHealth = monoNanos() + healthInterval }
    }
}
