import CNCCore
import CNCSystem

/// Why a stop will wait out its whole grace period: a container's PID 1 in its own pid
/// namespace that has no handler for the stop signal never receives it (the kernel drops
/// signals to a namespace's init that it does not catch, SIGKILL aside), so only the SIGKILL
/// at the end of the timeout stops it. Read from /proc/<pid>/status (SigCgt) at stop time.
public enum GraceWait {
    /// The line a stop prints before it waits (nil: PID 1 catches the signal, or there is no
    /// wait): `waiting up to 10s: PID 1 ignores SIGTERM (init: true or STOPSIGNAL helps)`.
    public static func message(pid: Int32, signal: Int32, timeout: Int, ownPIDNamespace: Bool) -> String? {
        guard timeout > 0, ownPIDNamespace, pid > 0, signal != 9, signal != 19,
              let status = try? FileSystem.readText("/proc/\(pid)/status"),
              ignores(signal, status: status) else { return nil }
        return "waiting up to \(timeout)s: PID 1 ignores \(signalName(signal)) (init: true or STOPSIGNAL helps)"
    }

    /// True when the SigCgt mask of a /proc/<pid>/status text lacks `signal`.
    public static func ignores(_ signal: Int32, status: String) -> Bool {
        for line in status.split(separator: "\n") where line.hasPrefix("SigCgt:") {
            guard let mask = UInt64(String(line.dropFirst(7)).trimmingSpaces, radix: 16), signal >= 1, signal <= 64 else { return false }
            return mask & (UInt64(1) << UInt64(signal - 1)) == 0
        }
        return false
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [1: "HUP", 2: "INT", 3: "QUIT", 6: "ABRT", 10: "USR1", 12: "USR2", 14: "ALRM", 15: "TERM",
                                      28: "WINCH", 30: "PWR"]
        return names[signal].map { "SIG" + $0 } ?? "signal \(signal)"
    }
}
