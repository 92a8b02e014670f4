import Glibc

/// CPU time this thread spent in `body`: what a "never hangs on hostile input" check bounds.
/// Unlike the wall clock, other processes' load does not stretch it.
public func threadCPUTime<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
    func now() -> Duration {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return .seconds(ts.tv_sec) + .nanoseconds(ts.tv_nsec)
    }
    let start = now()
    let result = try body()
    return (result, now() - start)
}
