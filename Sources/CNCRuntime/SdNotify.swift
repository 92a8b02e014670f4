import CNCSystem
import Foundation
import enum CNCMonitorCore.UnixDatagram

/// sd_notify for `--sdnotify=monitor`, sent by the CLI, the unit's main process (so the
/// default NotifyAccess=main takes it, and systemd reads it before it sees the CLI exit):
/// a detached run hands the service over to the monitor (MAINPID) and says READY=1 once the
/// container runs; a foreground one just says READY=1. Nothing without NOTIFY_SOCKET.
/// `cncapply --watch` uses `send` for READY=1/STATUS= and `startWatchdog` for WATCHDOG=1.
/// `--sdnotify=container`: Runtime.start says MAINPID=<monitor> and the monitor relays the
/// container's own notifications (NotifyRelay).
public enum SdNotify {
    @discardableResult
    public static func ready(mainPID: Int32?) -> Bool {
        send((mainPID.map { "MAINPID=\($0)\n" } ?? "") + "READY=1")
    }

    /// $NOTIFY_SOCKET when this process runs under a notify unit.
    public static var socket: String? { Host.environment("NOTIFY_SOCKET").flatMap { $0.isEmpty ? nil : $0 } }

    /// Sends `state` (newline-separated VAR=value lines) to $NOTIFY_SOCKET; false without one.
    @discardableResult
    public static func send(_ state: String) -> Bool {
        guard let socket else { return false }
        let fd = UnixDatagram.socket()
        defer { if fd >= 0 { FD.close(fd) } }
        return UnixDatagram.send(fd, to: socket, Array((state.hasSuffix("\n") ? state : state + "\n").utf8))
    }

    /// The watchdog interval systemd asks of this process ($WATCHDOG_USEC, when $WATCHDOG_PID is
    /// unset or names this process), in microseconds; nil when there is no watchdog.
    public static func watchdogMicroseconds(environment: [String: String] = ProcessInfo.processInfo.environment,
                                            pid: Int32 = Processes.current) -> UInt64? {
        guard environment["NOTIFY_SOCKET"]?.isEmpty == false,
              let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != pid { return nil }
        return usec
    }

    /// Sends WATCHDOG=1 every half of the watchdog interval from a thread of its own, while
    /// `alive()` says the process still makes progress; nothing when there is no watchdog.
    public static func startWatchdog(alive: @escaping @Sendable () -> Bool = { true }) {
        guard let usec = watchdogMicroseconds() else { return }
        let thread = Thread {
            while true {
                if alive() { send("WATCHDOG=1") }
                Processes.sleep(milliseconds: max(1, Int(usec / 2000)))
            }
        }
        thread.name = "sd-watchdog"
        thread.start()
    }
}
