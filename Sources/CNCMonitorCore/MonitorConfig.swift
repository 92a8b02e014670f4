/// The monitor's configuration: the NUL-separated "key\0value\0" pairs the CLI writes to
/// <container>/monitor.conf (CNCRuntime's NulConfig). A key may repeat (argument lists).
public struct MonitorConfig: Equatable, Sendable {
    public private(set) var values: [String: [String]] = [:]

    public init(bytes: [UInt8]) {
        let tokens = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var i = 0
        while i + 1 < tokens.count {
            values[tokens[i], default: []].append(tokens[i + 1])
            i += 2
        }
    }

    /// The last value of `key`.
    public func one(_ key: String) -> String? { values[key]?.last }
    /// Every value of `key`, in order.
    public func all(_ key: String) -> [String] { values[key] ?? [] }
    /// `key` as a number, or `otherwise` when it is missing or not one.
    public func int(_ key: String, _ otherwise: Int64) -> Int64 { one(key).flatMap { Int64($0) } ?? otherwise }
    public func flag(_ key: String) -> Bool { one(key) == "1" }
}

extension MonitorConfig {
    var restartPolicy: RestartPolicy {
        RestartPolicy(name: one("restart") ?? "no", maximumRetryCount: Int(int("restartmax", 0)))
    }

    var healthCheckSettings: HealthCheckSettings {
        HealthCheckSettings(
            interval: int("healthinterval", 30_000_000_000), timeout: int("healthtimeout", 30_000_000_000),
            retries: Int(int("healthretries", 3)), startPeriod: int("healthstartperiod", 0))
    }
}
