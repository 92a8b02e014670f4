import CNCCore
import CShim
import Glibc

/// A process cnc started and recorded as pid + start time (a pidfile), signalled only while
/// that pair still names it: the handle (pidfd) is taken first and the start time checked
/// after, so a pid reused in between can never receive the signal.
public struct RecordedProcess: Sendable, Equatable {
    public var pid: Int32
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The process just spawned as `pid` (its start time read now).
    public static func started(_ pid: Int32) -> RecordedProcess? {
        ProcessTable.startTime(pid).map { RecordedProcess(pid: pid, startTime: $0) }
    }

    /// "PID STARTTIME\n", the pidfile's text.
    public var text: String { "\(pid) \(startTime)\n" }

    public static func parse(_ text: String) -> RecordedProcess? {
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard f.count >= 2, let pid = Int32(f[0]), pid > 0, let start = UInt64(f[1]) else { return nil }
        return RecordedProcess(pid: pid, startTime: start)
    }

    /// True while the recorded process runs (a zombie does not count).
    public var isRunning: Bool { ProcessTable.startTime(pid) == startTime && Processes.isRunning(pid) }

    /// Sends `sig` if the recorded process still runs; returns whether it was sent. When the
    /// process is this process's child, waits for it to end (no zombie left behind).
    @discardableResult
    public func terminate(_ sig: Int32 = SIGTERM) -> Bool {
        let fd = cshim_pidfd_open(pid)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard isRunning, cshim_pidfd_send_signal(fd, sig) == 0 else { return false }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}  // ECHILD at once when not our child
        return true
    }
}
