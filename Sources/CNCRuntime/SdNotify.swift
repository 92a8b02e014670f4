import CNCSystem
import enum CNCMonitorCore.UnixDatagram

/// sd_notify for `--sdnotify=monitor`, sent by the CLI, the unit's main process (so the
/// default NotifyAccess=main takes it, and systemd reads it before it sees the CLI exit):
/// a detached run hands the service over to the monitor (MAINPID) and says READY=1 once the
/// container runs; a foreground one just says READY=1. Nothing without NOTIFY_SOCKET.
public enum SdNotify {
    @discardableResult
    public static func ready(mainPID: Int32?) -> Bool {
        guard let socket = Host.environment("NOTIFY_SOCKET"), !socket.isEmpty else { return false }
        let fd = UnixDatagram.socket()
        defer { if fd >= 0 { FD.close(fd) } }
        return UnixDatagram.send(fd, to: socket, Array(((mainPID.map { "MAINPID=\($0)\n" } ?? "") + "READY=1\n").utf8))
    }
}
