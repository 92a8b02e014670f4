/// A container's restart policy (`--restart`, Compose `restart`): one type for the spec, the
/// runtime, inspect and the monitor's configuration. Encoded as Docker's text
/// ("on-failure:3"); the keyed form containers stored before still decodes.
public struct RestartPolicy: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Name: String, Codable, Hashable, Sendable, CaseIterable {
        case no, always, unlessStopped = "unless-stopped", onFailure = "on-failure"
    }
    public var name: Name = .no
    /// on-failure only; 0 retries without limit (Docker's meaning).
    public var maximumRetryCount: Int = 0

    public init(name: Name = .no, maximumRetryCount: Int = 0) { self.name = name; self.maximumRetryCount = maximumRetryCount }

    /// `no`, `always`, `unless-stopped`, `on-failure[:N]`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let n = parts.first.flatMap(Name.init(rawValue:)) else {
            throw CNCError(.invalidArgument, "invalid restart policy \"\(text)\": want no, always, unless-stopped or on-failure[:max-retries]")
        }
        name = n
        if parts.count == 2 {
            guard n == .onFailure, let m = Int(parts[1]), m >= 0 else {
                throw CNCError(.invalidArgument, "invalid restart policy \"\(text)\": only on-failure takes a maximum retry count")
            }
            maximumRetryCount = m
        }
    }

    public var description: String {
        name == .onFailure && maximumRetryCount > 0 ? "on-failure:\(maximumRetryCount)" : name.rawValue
    }

    enum CodingKeys: String, CodingKey { case name, maximumRetryCount }

    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            try self.init(parsing: text)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(Name.self, forKey: .name),
                  maximumRetryCount: try c.decodeIfPresent(Int.self, forKey: .maximumRetryCount) ?? 0)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
