import CShim
import Glibc

/// Tells whether a container's memory cgroup OOM-killed while it ran, even when the cgroup is
/// gone by the time its exit is seen: under the systemd driver, systemd removes an emptied
/// scope's directories, counters included, as soon as the last process dies. So the watch
/// listens while the container runs, as containerd does: cgroup v1 registers an eventfd on
/// memory.oom_control through cgroup.event_control (signalled on an OOM, and once more when
/// the cgroup is removed); v2 watches memory.events with inotify. Each event re-reads the
/// counter while the cgroup is still there. One owner at a time (the monitor's loop, or the
/// CLI waiting for a foreground run).
public final class OOMWatch: @unchecked Sendable {
    /// Poll it for POLLIN; `noteEvents()` when it is readable.
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
            fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
            if fd < 0 { return nil }
            if inotify_add_watch(fd, counterFile, UInt32(IN_MODIFY)) < 0 { close(fd); return nil }
        }
        self.fd = fd
        self.counterFile = counterFile
        self.key = key
        self.start = start
        lastCount = start
    }

    deinit { close(fd) }

    /// Takes what is pending on `fd` and reads the counter while the cgroup is there.
    public func noteEvents() {
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

    /// Events pending: the eventfd's count (v1), or the number of inotify records (v2).
    func drain() -> Int {
        var total = 0
        var buf = [UInt8](repeating: 0, count: 512)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return total }
            if v1 {
                total += Int(buf.withUnsafeBytes { $0.load(as: UInt64.self) })
            } else {
                // struct inotify_event: wd, mask, cookie, len (4 bytes each), then len bytes of name.
                var off = 0
                while off + 16 <= n {
                    total += 1
                    off += 16 + Int(buf.withUnsafeBytes { $0.load(fromByteOffset: off + 12, as: UInt32.self) })
                }
            }
        }
    }
}
