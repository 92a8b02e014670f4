/// One resource limit: `--ulimit nofile=1024:2048`, Compose `ulimits`, config.json's rlimits.
/// `UInt64.max` is unlimited (RLIM_INFINITY).
public struct Ulimit: Codable, Hashable, Sendable {
    public var name: String
    public var soft: UInt64
    public var hard: UInt64

    public static let names = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile",
                               "nproc", "rss", "rtprio", "rttime", "sigpending", "stack", "as"]

    /// A typed limit (Compose `ulimits`); a negative value is unlimited, as in Compose.
    public init(name: String, soft: Int64, hard: Int64) throws {
        guard Self.names.contains(name) else {
            throw CNCError(.invalidArgument, "invalid ulimit \"\(name)\": want one of \(Self.names.joined(separator: ", "))")
        }
        let s = soft < 0 ? UInt64.max : UInt64(soft), h = hard < 0 ? UInt64.max : UInt64(hard)
        guard s <= h else { throw CNCError(.invalidArgument, "ulimit \(name): soft limit above hard limit") }
        self.name = name; self.soft = s; self.hard = h
    }

    public init(parsing text: String) throws {
        let kv = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2, Self.names.contains(kv[0]) else {
            throw CNCError(.invalidArgument, "invalid ulimit \"\(text)\": want NAME=SOFT[:HARD] with NAME one of \(Self.names.joined(separator: ", "))")
        }
        let vals = kv[1].split(separator: ":").map { UInt64($0) }
        guard let soft = vals.first ?? nil, vals.count <= 2 else { throw CNCError(.invalidArgument, "invalid ulimit value in \"\(text)\"") }
        let hard = vals.count == 2 ? (vals[1] ?? soft) : soft
        guard soft <= hard else { throw CNCError(.invalidArgument, "ulimit \(text): soft limit above hard limit") }
        name = kv[0]; self.soft = soft; self.hard = hard
    }
}

/// A service's `ulimits` in Compose's shape: a mapping from name to `{soft, hard}`, -1 for
/// unlimited (the normalized spec, and so the config hash, keeps that form).
public struct Ulimits: Codable, Hashable, Sendable {
    /// Sorted by name.
    public private(set) var all: [Ulimit]

    public init(_ limits: [Ulimit] = []) { all = limits.sorted { $0.name < $1.name } }

    public var isEmpty: Bool { all.isEmpty }

    struct Pair: Codable {
        var soft: Int64
        var hard: Int64
    }

    public init(from decoder: any Decoder) throws {
        let map = try decoder.singleValueContainer().decode([String: Pair].self)
        self.init(try map.map { try Ulimit(name: $0.key, soft: $0.value.soft, hard: $0.value.hard) })
    }

    public func encode(to encoder: any Encoder) throws {
        func compose(_ v: UInt64) -> Int64 { v > UInt64(Int64.max) ? -1 : Int64(v) }
        var c = encoder.singleValueContainer()
        try c.encode(Dictionary(uniqueKeysWithValues: all.map { ($0.name, Pair(soft: compose($0.soft), hard: compose($0.hard))) }))
    }
}
