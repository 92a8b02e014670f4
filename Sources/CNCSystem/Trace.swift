import Glibc

/// Phase timestamps on stderr when CNC_TRACE is set: where a container start spends its time.
public enum Trace {
    nonisolated(unsafe) static let enabled = getenv("CNC_TRACE") != nil
    nonisolated(unsafe) static var start: Int64 = Processes.monotonicNanos()

    public static func mark(_ phase: @autoclosure () -> String) {
        guard enabled else { return }
        let ms = Double(Processes.monotonicNanos() - start) / 1e6
        writeStderr("trace \(Double(Int(ms * 100)) / 100) ms: \(phase())\n")
    }
}
