import Glibc

/// Facts about other processes.
public enum ProcessTable {
    /// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), which
    /// tells a live process from a later one that reused its pid.
    public static func startTime(_ pid: Int32) -> UInt64? {
        Processes.stat(pid)?.startTicks.flatMap { $0 >= 0 ? UInt64($0) : nil }
    }
}
