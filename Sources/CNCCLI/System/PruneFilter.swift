import CNCCore

/// docker's `--filter` of the prune commands: `until=` (what was created before a time: a
/// duration back from now, Unix seconds or RFC 3339), `label=KEY[=VALUE]` (every one must
/// match) and `label!=KEY[=VALUE]` (none may). A key the command does not take is refused in
/// docker's daemon's words before anything is removed.
struct PruneFilter {
    /// Wall-clock nanoseconds: objects created at or after it stay.
    var until: Int64?
    var labels: [String] = []
    var notLabels: [String] = []
    /// `dangling=true|false` (image prune): untagged images only, or every unused one.
    var dangling: Bool?

    /// `keys`: the keys this command takes ("until", "label", "label!").
    init(_ filters: [String], keys: Set<String> = ["until", "label", "label!"]) throws {
        for f in filters {
            let (key, value) = try ContainerList.filterPair(f)
            guard keys.contains(key) else { throw CNCError(.invalidArgument, "Invalid filter '\(key)'") }
            switch key {
            case "until": until = try ContainerLogs.timeNanos(value)
            case "label": labels.append(value)
            case "label!": notLabels.append(value)
            case "dangling":
                guard let d = ["true": true, "1": true, "false": false, "0": false][value.lowercased()] else {
                    throw CNCError(.invalidArgument, "invalid filter 'dangling=\(value)'")
                }
                dangling = d
            default: throw CNCError(.invalidArgument, "Invalid filter '\(key)'")
            }
        }
    }

    var isEmpty: Bool { until == nil && labels.isEmpty && notLabels.isEmpty }

    /// Whether an object created at `created` (wall-clock nanoseconds; nil: unknown, which
    /// no `until` matches) with these labels is pruned.
    func matches(created: Int64?, labels have: [String: String]) -> Bool {
        if let until {
            guard let created, created < until else { return false }
        }
        return labels.allSatisfy { Self.hasLabel(have, $0) } && !notLabels.contains { Self.hasLabel(have, $0) }
    }

    /// An RFC 3339 time (an image's `created`, often with nine fraction digits) as wall-clock
    /// nanoseconds, to the second.
    static func nanos(_ rfc3339: String) -> Int64? {
        var s = rfc3339
        if let dot = s.firstIndex(of: "."), let end = s[s.index(after: dot)...].firstIndex(where: { !$0.isNumber }) { s.removeSubrange(dot..<end) }
        return try? ContainerLogs.timeNanos(s)
    }

    /// docker's label test: `KEY` (present) or `KEY=VALUE` (present with that value).
    static func hasLabel(_ labels: [String: String], _ spec: String) -> Bool {
        let kv = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let key = kv.first, let value = labels[key] else { return false }
        return kv.count == 1 || value == kv[1]
    }
}
