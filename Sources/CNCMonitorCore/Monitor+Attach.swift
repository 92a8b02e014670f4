import CShim
import Glibc

/// `cnc attach`: clients connect to `<dir>/attach` while the container runs; they get its
/// output as it is logged and may type into its terminal (or its stdin pipe, `-i`).
extension Monitor {
    var attachSocketPath: String { dir + "/" + AttachProtocol.socketName }

    /// Listens for attach clients (after the start was reported: it costs the start nothing).
    func openAttachSocket() {
        guard attachListen < 0 else { return }
        attachListen = cshim_listen_seqpacket(attachSocketPath)
        if attachListen < 0 { trace("attach socket: \(FileIO.describe(errno: errno))") }
    }

    func closeAttachSocket() {
        guard attachListen >= 0 else { return }
        close(attachListen)
        attachListen = -1
        unlink(attachSocketPath)
    }

    func acceptAttachClient() {
        let fd = cshim_accept_nonblocking(attachListen)
        if fd >= 0 { attachClients.append(fd) }
    }

    /// A message from a client: input or a new window size; EOF or an error drops it.
    func readAttachClient(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: AttachProtocol.maxMessage)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard n > 0 else { dropAttachClient(fd); return }
        let body = buf[1..<n]
        switch buf[0] {
        case AttachProtocol.stdin:
            guard inputTarget >= 0 else { return }
            stdinPending += body
            flushStdin()
        case AttachProtocol.resize:
            let parts = String(decoding: body, as: UTF8.self).split(separator: " ")
            if ptyMaster >= 0, parts.count == 2, let rows = UInt16(parts[0]), let cols = UInt16(parts[1]) {
                _ = cshim_tty_set_size(ptyMaster, rows, cols)
            }
        default: break
        }
    }

    /// Output for every attached client. A client that cannot take it now misses it (the log
    /// has it): the container never waits for a slow reader.
    func broadcast(_ stream: LogStream, _ bytes: ArraySlice<UInt8>) {
        guard !attachClients.isEmpty else { return }
        let tag = stream == .stderr && !tty ? AttachProtocol.stderr : AttachProtocol.stdout
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + AttachProtocol.maxMessage - 1, bytes.endIndex)
            let message = [tag] + bytes[start..<end]
            for fd in attachClients {
                let n = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                if n < 0 && errno != EAGAIN && errno != EINTR { dropAttachClient(fd) }
            }
            start = end
        }
    }

    /// The container's main process exited: each client hears the code and is let go.
    func endAttachments(exitCode: Int32) {
        let message = [AttachProtocol.exit] + Array("\(exitCode)".utf8)
        for fd in attachClients {
            _ = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            close(fd)
        }
        attachClients = []
    }

    func dropAttachClient(_ fd: Int32) {
        attachClients.removeAll { $0 == fd }
        close(fd)
    }

    /// Where input goes: the container's terminal, or the write end of its stdin pipe.
    var inputTarget: Int32 { ptyMaster >= 0 ? ptyMaster : stdinWrite }
}
