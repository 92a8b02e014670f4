import Glibc

/// The two clocks: wall time for what the files say, monotonic time for every interval.
public enum SystemClock {
    public static func realtimeNanos() -> Int64 { nanos(CLOCK_REALTIME) }
    public static func monotonicNanos() -> Int64 { nanos(CLOCK_MONOTONIC) }

    private static func nanos(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
