/// The timestamps of state.json and the log: RFC 3339 in UTC with nanoseconds, as Docker writes them.
public enum RFC3339 {
    /// What state.json says for a time that never happened (Go's zero time).
    public static let zero = "0001-01-01T00:00:00Z"

    /// `nanos` since the epoch (not negative), e.g. 2026-11-29T05:44:01.123456789Z.
    public static func format(nanos: Int64) -> String {
        let secs = nanos / 1_000_000_000
        let frac = nanos % 1_000_000_000
        var days = secs / 86400
        let rem = secs % 86400
        // Howard Hinnant's civil_from_days.
        days += 719_468
        let era = days / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2)).\(pad(frac, 9))Z"
    }

    /// `format`, or `zero` for 0 (a start or finish that has not happened).
    public static func formatOrZero(nanos: Int64) -> String {
        nanos == 0 ? zero : format(nanos: nanos)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
