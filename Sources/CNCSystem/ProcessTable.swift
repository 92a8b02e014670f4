import Glibc

/// Facts about other processes.
public enum ProcessTable {
    /// The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), which
    /// tells a live process from a later one that reused its pid.
    public static func startTime(_ pid: Int32) -> UInt64? {
        guard let stat = try? FileSystem.readText("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After "pid (comm)" the fields start at 3 (state); starttime is field 22.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}
