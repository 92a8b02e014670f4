import Glibc

/// Phase timestamps on stderr when CNC_TRACE is set: where a container start spends its time.
public enum Trace {
    static let enabled = getenv("CNC_TRACE") != nil
    nonisolated(unsafe) static var start: Int64 = Processes.monotonicNanos()

    public static func mark(_ phase: @autoclosure () -> String) {
        guard enabled else { return }
        let now = Processes.monotonicNanos()
        let ms = Double(now - start) / 1e6
        let stamp = Double((now / 10_000) % 10_000_000) / 100  // monotonic ms mod 100 s, as cnc-init's
        writeStderr("trace \(Double(Int(ms * 100)) / 100) ms: \(phase()) @\(stamp)\n")
    }
}
