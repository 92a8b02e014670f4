import Glibc

/// Flushes stdout and exits with `status`.
public func exitProcess(_ status: Int32) -> Never {
    fflush(nil)
    exit(status)
}

/// Writes text to stderr, unbuffered.
public func writeStderr(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { if errno == EINTR { continue }; return }
        offset += n
    }
}
