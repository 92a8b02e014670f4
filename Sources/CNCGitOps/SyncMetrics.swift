import Foundation

/// The agent's Prometheus metrics (text exposition format 0.0.4): cycles by outcome, the last
/// cycle's time, commit and per-app outcome, drift, and a histogram of apply durations.
public struct SyncMetrics: Sendable, Equatable {
    public static let durationBuckets: [Double] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    public var cyclesByOutcome: [String: Int] = [:]
    public var last: SyncCycleReport?
    public var lastUnixSeconds: Double = 0
    /// Cumulative counts per bucket (same order as `durationBuckets`), then the +Inf count.
    public var bucketCounts = [Int](repeating: 0, count: SyncMetrics.durationBuckets.count)
    public var applyCount = 0
    public var applySum = 0.0

    public init() {}

    public mutating func record(_ cycle: SyncCycleReport, unixSeconds: Double) {
        cyclesByOutcome[cycle.outcome, default: 0] += 1
        last = cycle
        lastUnixSeconds = unixSeconds
        for app in cycle.apps {
            guard let d = app.applySeconds else { continue }
            applyCount += 1
            applySum += d
            for (i, bound) in Self.durationBuckets.enumerated() where d <= bound { bucketCounts[i] += 1 }
        }
    }

    public func render() -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }
        family("cnc_sync_cycles_total", "counter", "Sync cycles run, by outcome (synced or failed).")
        for outcome in ["synced", "failed"] {
            out += "cnc_sync_cycles_total{outcome=\"\(outcome)\"} \(cyclesByOutcome[outcome] ?? 0)\n"
        }
        family("cnc_sync_last_cycle_timestamp_seconds", "gauge", "Unix time the last sync cycle ended (0 before the first).")
        out += "cnc_sync_last_cycle_timestamp_seconds \(Self.number(lastUnixSeconds))\n"
        family("cnc_sync_last_cycle_success", "gauge", "1 when the last cycle synced every app, else 0.")
        out += "cnc_sync_last_cycle_success \(last?.outcome == "synced" ? 1 : 0)\n"
        family("cnc_sync_commit_info", "gauge", "The branch head the last cycle saw (always 1).")
        if let last, let commit = last.commit {
            out += "cnc_sync_commit_info{repo=\"\(Self.escape(last.repo))\",branch=\"\(Self.escape(last.branch))\",commit=\"\(commit)\"} 1\n"
        }
        family("cnc_sync_app_outcome", "gauge", "Each app's outcome in the last cycle (1 for its outcome, with the commit it runs).")
        for app in last?.apps ?? [] {
            out += "cnc_sync_app_outcome{app=\"\(Self.escape(app.name))\",outcome=\"\(app.outcome.rawValue)\",commit=\"\(app.commit ?? "")\"} 1\n"
        }
        family("cnc_sync_drift_items", "gauge", "Drift found in the last cycle, per app (what cncapply status reports as drift).")
        for app in last?.apps ?? [] {
            out += "cnc_sync_drift_items{app=\"\(Self.escape(app.name))\"} \(app.drift.count)\n"
        }
        family("cnc_sync_apply_duration_seconds", "histogram", "How long applies took.")
        for (i, bound) in Self.durationBuckets.enumerated() {
            out += "cnc_sync_apply_duration_seconds_bucket{le=\"\(Self.number(bound))\"} \(bucketCounts[i])\n"
        }
        out += "cnc_sync_apply_duration_seconds_bucket{le=\"+Inf\"} \(applyCount)\n"
        out += "cnc_sync_apply_duration_seconds_sum \(Self.number(applySum))\n"
        out += "cnc_sync_apply_duration_seconds_count \(applyCount)\n"
        return out
    }

    /// Label values: backslash, double quote and newline escaped.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}
