import CShim
import Glibc

/// Tells whether a container's memory cgroup OOM-killed while it ran, even when the cgroup is
/// gone by the time its exit is seen: under the systemd driver, systemd removes an emptied
/// scope's directories, counters included, as soon as the last process dies. So the watch
/// listens while the container runs, as containerd does: cgroup v1 registers an eventfd on
/// memory.oom_control through cgroup.event_control (signalled on an OOM, and once more when
/// the cgroup is removed); v2 polls memory.events itself for POLLPRI (kernfs reports a change
/// of the file since this descriptor last read it). Each event re-reads the counter while the
/// cgroup is still there. Not inotify: closing an inotify instance can wait out fsnotify's
/// SRCU grace period (one close in ten took 16 ms on the build host; RenameWait's took 10-20
/// ms), and the exit paid it before recording the state. One owner at a time (the
/// monitor's loop, or the CLI waiting for a foreground run).
public final class OOMWatch: @unchecked Sendable {
    /// Poll it for `pollEvents` while `watching`; `noteEvents()` when it reports any.
    public let fd: Int32
    let counterFile: String
    let key: String
    let v1: Bool
    let start: Int64
    /// The highest count read while the cgroup existed.
    var lastCount: Int64
    /// v1: OOM notifications that arrived while the cgroup still existed.
    var alive = 0
    /// v1: events read once the cgroup was gone (its removal, and maybe an OOM before it).
    var afterRemoval = 0
    /// v2: the file could not be read any more (the cgroup is gone); a removed kernfs file polls
    /// as changed for ever, so it is not polled again.
    var gone = false

    /// What to poll `fd` for: POLLIN (v1's eventfd), POLLPRI (v2's memory.events).
    public var pollEvents: Int16 { Int16(v1 ? POLLIN : POLLPRI) }
    /// False once there is nothing more to hear (v2: the cgroup is gone).
    public var watching: Bool { v1 || !gone }

    /// A watch on the cgroup whose OOM kill count is `key` in `counterFile` (memory.oom_control's
    /// `oom_kill`, memory.events' `oom_kill`), counting from `start`; nil when it cannot be set.
    public init?(counterFile: String, key: String, start: Int64) {
        let dir = String(counterFile[..<(counterFile.lastIndex(of: "/") ?? counterFile.endIndex)])
        v1 = counterFile.hasSuffix("/memory.oom_control")
        var fd: Int32 = -1
        if v1 {
            fd = cshim_eventfd()
            let control = open(counterFile, O_RDONLY | O_CLOEXEC)
            let events = open(dir + "/cgroup.event_control", O_WRONLY | O_CLOEXEC)
            var ok = fd >= 0 && control >= 0 && events >= 0
            if ok {
                let line = Array("\(fd) \(control)".utf8)
                ok = line.withUnsafeBytes { write(events, $0.baseAddress, $0.count) } == line.count
            }
            if control >= 0 { close(control) }
            if events >= 0 { close(events) }
            if !ok { if fd >= 0 { close(fd) }; return nil }
        } else {
            fd = open(counterFile, O_RDONLY | O_CLOEXEC)
            if fd < 0 { return nil }
        }
        self.fd = fd
        self.counterFile = counterFile
        self.key = key
        self.start = start
        lastCount = start
        // v2: a read through the descriptor arms it (changes are reported relative to it).
        if !v1, let b = Self.readAll(fd) { lastCount = max(lastCount, Self.value(of: key, in: b)) }
    }

    deinit { close(fd) }

    /// Takes what is pending on `fd` and reads the counter while the cgroup is there.
    public func noteEvents() {
        if !v1 { noteChange(); return }
        let n = drain()
        guard n > 0 else { return }
        if let c = count() {
            lastCount = max(lastCount, c)
            alive += n
        } else {
            afterRemoval += n
        }
    }

    /// After the container's PID 1 was reaped: true when the cgroup OOM-killed during this run.
    /// `killed`: PID 1 died of SIGKILL (an OOM kill of PID 1 cannot look otherwise), the one
    /// case worth waiting up to 100 ms for a v1 removal event to tell an OOM from a removal.
    public func oomKilled(killed: Bool) -> Bool {
        noteEvents()
        if let c = count() { return max(c, lastCount) > start }
        if lastCount > start || (v1 && alive > 0) { return true }
        guard v1 && killed else { return false }
        // Gone: an OOM notification plus the removal's make two events.
        var waited = 0
        while afterRemoval < 2 && waited < 100 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(100 - waited)) <= 0 { break }
            afterRemoval += drain()
            waited += 10
        }
        return afterRemoval >= 2
    }

    /// v2: when the file changed since the last read, reads it again through `fd` (which
    /// re-arms it); a read that fails means the cgroup is gone.
    func noteChange() {
        guard !gone else { return }
        var p = pollfd(fd: fd, events: Int16(POLLPRI), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return }
        if let b = Self.readAll(fd) {
            lastCount = max(lastCount, Self.value(of: key, in: b))
            alive += 1
        } else {
            gone = true
        }
    }

    /// The whole content of the open file `fd`, read from its start; nil when it fails.
    static func readAll(_ fd: Int32) -> [UInt8]? {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(out.count)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            out.append(contentsOf: buf[..<n])
        }
    }

    /// The counter, or nil when the cgroup (and so the file) is gone.
    func count() -> Int64? {
        guard let b = FileIO.read(path: counterFile) else { return nil }
        return Self.value(of: key, in: b)
    }

    /// `key`'s number in a flat-keyed cgroup file ("oom_kill 3"), 0 when it is missing.
    public static func value(of key: String, in bytes: [UInt8]) -> Int64 {
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let p = line.split(separator: " ")
            if p.count == 2, p[0] == key { return Int64(p[1]) ?? 0 }
        }
        return 0
    }

    /// Events pending on v1's eventfd: its count.
    func drain() -> Int {
        var total = 0
        var buf = [UInt8](repeating: 0, count: 512)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return total }
            total += Int(buf.withUnsafeBytes { $0.load(as: UInt64.self) })
        }
    }
}
