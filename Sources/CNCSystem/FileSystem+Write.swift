import CNCCore
import CShim
import Glibc

extension FileSystem {
    /// Writes `text` to an existing file in place (cgroup and proc files), in one write(2), so
    /// the kernel sees the whole value. The error names the value and the path, e.g.
    /// "write 10000 to /sys/fs/cgroup/cpu/x/cpu.cfs_quota_us: Invalid argument (EINVAL)".
    public static func writeValue(_ text: String, to path: String, create: Bool = true) throws {
        let flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw SystemError.make("open", errno: errno, path: path) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            let e = errno
            throw CNCError(SystemError.mapCode(e), "write \(text.trimmingSpaces) to \(path): \(SystemError.describe(e))", errnoCode: e)
        }
    }

    /// rmdir(2); a missing directory is fine.
    public static func removeDirectory(_ path: String) throws {
        if rmdir(path) == 0 { return }
        let e = errno
        if e == ENOENT { return }
        throw SystemError.make("rmdir", errno: e, path: path)
    }

    /// Creates a symlink (replacing nothing).
    public static func createSymlink(_ target: String, at path: String) throws {
        if symlink(target, path) != 0 { throw SystemError.make("symlink", errno: errno, path: path) }
    }

    /// The target of a symlink, if `path` is one.
    public static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Processes by pid.
public enum Processes {
    /// kill(2). Returns false when the process does not exist (ESRCH).
    @discardableResult
    public static func signal(_ pid: Int32, _ sig: Int32) throws -> Bool {
        if kill(pid, sig) == 0 { return true }
        let e = errno
        if e == ESRCH { return false }
        throw SystemError.make("kill", errno: e, path: "pid \(pid) signal \(sig)")
    }

    /// When `pid` started, in Unix seconds: /proc/PID/stat's starttime (clock ticks since boot)
    /// after /proc/stat's btime; nil when either cannot be read.
    public static func startSeconds(_ pid: Int32) -> Int64? {
        guard let ticks = startTicks(pid),
              let boot = (try? FileSystem.readText("/proc/stat"))?.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let btime = Int64(boot.dropFirst(6).trimmingCharacters(in: .whitespaces)) else { return nil }
        let hz = Int64(sysconf(Int32(_SC_CLK_TCK)))
        return hz > 0 ? btime + ticks / hz : nil
    }

    /// When `pid` started, in clock ticks since boot (/proc/PID/stat's field 22); nil when it
    /// cannot be read (no such process).
    public static func startTicks(_ pid: Int32) -> Int64? { stat(pid)?.startTicks }

    /// What /proc/PID/stat says of a process: its state letter (field 3: `R`, `S`, `Z`...) and
    /// its start time (field 22, clock ticks since boot), from one read.
    public struct Stat: Equatable, Sendable {
        public var state: UInt8?
        public var startTicks: Int64?
    }

    /// /proc/PID/stat read once; nil when it cannot be read (no such process) or has no `)`.
    public static func stat(_ pid: Int32) -> Stat? {
        guard let bytes = try? FileSystem.readBytes("/proc/\(pid)/stat") else { return nil }
        return parseStat(bytes)
    }

    /// The fields after the last `)` (the command name may hold spaces and parentheses).
    static func parseStat(_ bytes: [UInt8]) -> Stat? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        let state = fields.first?.first
        guard fields.count > 19 else { return Stat(state: state, startTicks: nil) }
        return Stat(state: state, startTicks: Int64(String(decoding: fields[19], as: UTF8.self)))
    }

    /// True while `pid` exists and has not exited (a zombie waiting to be reaped does not count).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard isAlive(pid) else { return false }
        return stat(pid)?.state != UInt8(ascii: "Z")
    }

    /// True while `pid` exists (a zombie counts).
    public static func isAlive(_ pid: Int32) -> Bool { pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) }

    /// Forwards the usual terminal and stop signals to `pid` (a foreground container).
    /// `forwardSignals(to: 0)` installs the handlers and holds signals until a pid is given.
    public static func forwardSignals(to pid: Int32) { _ = cshim_forward_signals(pid) }

    /// A stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) held while no target ran, else 0; it
    /// stays held, so `stopForwardingSignals` still delivers it.
    public static func heldInterrupt() -> Int32 { cshim_forward_held_interrupt() }

    /// The first stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) received, forwarded or held,
    /// since `resetReceivedInterrupt`, else 0.
    public static func receivedInterrupt() -> Int32 { cshim_forward_interrupted() }

    /// Forgets the stop signal `receivedInterrupt` reports (a new build begins).
    public static func resetReceivedInterrupt() { cshim_forward_reset_interrupted() }

    /// Forgets the held stop signals: `stopForwardingSignals` will not raise them (the caller
    /// reports the interruption and exits on its own).
    public static func dropHeldInterrupts() { cshim_forward_drop_held_interrupts() }

    /// Ends forwarding: default dispositions again, and the signals held meanwhile delivered
    /// (a process that outlives its foreground container stays stoppable with Ctrl-C).
    public static func stopForwardingSignals() { _ = cshim_stop_forwarding_signals() }

    /// Passes SIGWINCH on to `pid` (see cshim_forward_window_changes).
    public static func forwardWindowChanges(to pid: Int32) { _ = cshim_forward_window_changes(pid) }

    /// Sleeps the calling thread.
    public static func sleep(milliseconds: Int) {
        var ts = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var rem = timespec()
        while nanosleep(&ts, &rem) != 0 && errno == EINTR { ts = rem }
    }

    /// Monotonic clock in nanoseconds.
    public static func monotonicNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Wall clock in nanoseconds since the epoch.
    public static func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// The pid of this process.
    public static var current: Int32 { getpid() }

    /// Clock ticks per second (for /proc/<pid>/stat times).
    public static var clockTicks: Int { sysconf(Int32(_SC_CLK_TCK)) }

    /// Online CPUs.
    public static var onlineCPUs: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

extension FileSystem {
    /// rename(2).
    public static func rename(_ from: String, to: String) throws {
        if Glibc.rename(from, to) != 0 { throw SystemError.make("rename", errno: errno, path: from) }
    }
}
