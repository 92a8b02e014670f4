import Dispatch
import Glibc

extension Processes {
    /// Calls `handler` (on a dispatch queue) for each SIGTERM and SIGINT instead of dying of
    /// them: a long-running command (`cncapply sync`) finishes or cancels its work first.
    /// The returned sources must be kept alive.
    public static func onTerminationSignals(_ handler: @escaping @Sendable (Int32) -> Void) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { sig in
            _ = Glibc.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { handler(sig) }
            source.resume()
            return source
        }
    }

    /// CPU time (user + system) this process and its waited-for children used so far, in microseconds.
    public static func cpuMicroseconds() -> Int64 {
        func micros(_ who: Int32) -> Int64 {
            var u = rusage()
            guard getrusage(__rusage_who_t(who), &u) == 0 else { return 0 }
            return Int64(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1_000_000 + Int64(u.ru_utime.tv_usec + u.ru_stime.tv_usec)
        }
        return micros(RUSAGE_SELF.rawValue) + micros(RUSAGE_CHILDREN.rawValue)
    }
}
