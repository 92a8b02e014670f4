import Glibc

/// `CNC_TRACE=1`: timestamped progress lines on stderr, the same shape the CLI writes.
struct Trace {
    let enabled: Bool

    init(enabled: Bool = getenv("CNC_TRACE") != nil) { self.enabled = enabled }

    func callAsFunction(_ what: String) {
        guard enabled else { return }
        let ms = SystemClock.monotonicNanos() / 1_000_000 % 100_000
        FileIO.writeAll(2, Array("trace monitor @\(ms): \(what)\n".utf8))
    }
}

/// Ends the monitor before it supervises anything (bad usage or configuration, no pipe).
public func die(_ message: String) -> Never {
    FileIO.writeAll(2, Array("cnc-monitor: \(message)\n".utf8))
    exit(125)
}
