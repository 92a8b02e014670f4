import Glibc

/// Flushes stdout and exits with `status`.
public func exitProcess(_ status: Int32) -> Never {
    Trace.mark("exit")
    fflush(nil)
    exit(status)
}

/// Writes text to stderr, unbuffered.
public func writeStderr(_ text: String) { writeUnbuffered(2, text) }

/// Writes all of `text` to `fd` (retrying short writes and EINTR); gives up quietly on an error,
/// as a closed stdout or stderr must not fail the command.
func writeUnbuffered(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { if errno == EINTR { continue }; return }
        offset += n
    }
}
