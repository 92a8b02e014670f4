import CShim
import Glibc

/// `--sdnotify=container`: the container gets a socket of ours (NOTIFY_SOCKET=/run/notify/
/// notify.sock inside) and what it says there goes on to the unit's $NOTIFY_SOCKET
/// (`notifysocket`) through NotifyRelay.
extension Monitor {
    var notifySocketPath: String { dir + "/" + NotifyRelay.hostDirectory + "/" + NotifyRelay.socketName }

    /// Binds the container's socket before init mounts its directory. With `notifygate` the
    /// CLI is telling systemd MAINPID=<this monitor> meanwhile: nothing is passed on before it
    /// closes the gate (fd 7), or systemd would take a READY=1 from a process not yet the unit's
    /// main one as sent by a stranger and drop it.
    func openNotifySocket() {
        guard config.one("sdnotify") == "container" else { return }
        let directory = dir + "/" + NotifyRelay.hostDirectory
        if mkdir(directory, 0o755) < 0 && errno != EEXIST { trace("notify directory: \(FileIO.describe(errno: errno))") }
        notifyListen = cshim_bind_dgram(notifySocketPath)
        if notifyListen < 0 { trace("notify socket: \(FileIO.describe(errno: errno))"); return }
        // Any user of the container may notify (a workload running as non-root does).
        _ = chmod(notifySocketPath, 0o777)
        if config.flag("notifygate") {
            _ = FileIO.readAll(Self.notifyGateFD)
            close(Self.notifyGateFD)
        }
    }

    /// One datagram from the container: its forwardable lines go to the unit.
    func readNotifySocket() {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { recv(notifyListen, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard n > 0, let target = config.one("notifysocket"), let message = NotifyRelay.forwardable(Array(buf[0..<n])) else { return }
        if notifySend < 0 { notifySend = UnixDatagram.socket() }
        if !UnixDatagram.send(notifySend, to: target, message) { trace("notify \(target): \(FileIO.describe(errno: errno))") }
    }

    func closeNotifySocket() {
        guard notifyListen >= 0 else { return }
        close(notifyListen)
        notifyListen = -1
        unlink(notifySocketPath)
    }
}
