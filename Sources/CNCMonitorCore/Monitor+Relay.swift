import Glibc

/// The container's output to the log (and to the caller when attached), and with `-it` the
/// caller's input to the container's terminal.
extension Monitor {
    /// Moves what `fd` has into the log and, attached, to our `attachFD`. Returns `fd`, or -1
    /// once it is closed (EOF or an error).
    func relay(_ fd: Int32, _ stream: LogStream, to attachFD: Int32) -> Int32 {
        var buf = [UInt8](repeating: 0, count: 32768)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            record(buf[0..<n], stream, to: attachFD)
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            close(fd)
            return -1
        }
        return fd
    }

    /// The caller typed something: it goes to the terminal (what it cannot take yet waits).
    func readStdin() {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n > 0 {
            guard let typed = escape.feed(Array(buf[0..<n])) else { return callerDetached() }
            stdinPending += typed
            flushStdin()
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            stdinOpen = false
        }
    }

    /// The caller typed the detach keys: it hears so and leaves (docker's `run -it` exits 0
    /// then, silently); the container runs on as a detached one — output to the log only, no
    /// caller's input, its stdio no longer held here, and with --rm removed when it ends.
    func callerDetached() {
        report("detach")
        if statusOpen {
            statusOpen = false
            close(Self.statusFD)
        }
        attach = false
        stdinOpen = false
        stdinPending = []
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        if devnull >= 0 {
            for fd in Int32(0)...Int32(2) { _ = dup2(devnull, fd) }
            close(devnull)
        }
        removeOnExit = config.all("detachremove")
    }

    /// Writes what the terminal (or the stdin pipe) takes of the pending input (both are
    /// non-blocking).
    func flushStdin() {
        let target = inputTarget
        guard target >= 0 else { stdinPending = []; return }
        while !stdinPending.isEmpty {
            let n = stdinPending.withUnsafeBytes { write(target, $0.baseAddress, $0.count) }
            if n > 0 { stdinPending.removeFirst(n); continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno != EAGAIN { stdinPending = [] }
            return
        }
    }

    /// Drains the container's pipes and terminal after PID 1 died: what it wrote before goes
    /// to the log. The terminal goes too (a restart makes a new one), and so does the
    /// caller's input, which belonged to the first run.
    func drainOutput() {
        while outRead >= 0 { outRead = relay(outRead, .stdout, to: 1) }
        while errRead >= 0 { errRead = relay(errRead, .stderr, to: 2) }
        if ptyMaster >= 0 {
            var buf = [UInt8](repeating: 0, count: 32768)
            while true {
                let n = buf.withUnsafeMutableBytes { read(ptyMaster, $0.baseAddress, $0.count) }
                if n > 0 { record(buf[0..<n], .stdout, to: 1); continue }
                if n < 0 && errno == EINTR { continue }
                break
            }
            close(ptyMaster)
            ptyMaster = -1
        }
        stdinOpen = false
        stdinPending = []
        if stdinWrite >= 0 { close(stdinWrite); stdinWrite = -1 }
        log.flush()
    }

    private func record(_ bytes: ArraySlice<UInt8>, _ stream: LogStream, to attachFD: Int32) {
        log.write(stream, bytes)
        if attach { FileIO.writeAll(attachFD, Array(bytes)) }
        broadcast(stream, bytes)
    }
}
