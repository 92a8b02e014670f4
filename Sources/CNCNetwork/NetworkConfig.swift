import CNCCore

/// How a network is realised.
public enum NetworkDriver: String, Codable, Sendable, CaseIterable {
    /// cnc's native driver: a Linux bridge, veth pairs, cnc's nftables table.
    case bridge
    /// Underlay drivers run through the standard CNI plugins.
    case macvlan, ipvlan
    /// A user-provided CNI conflist.
    case cni

    public var usesCNI: Bool { self != .bridge }
}

/// A cnc network as stored under <root>/networks/<name>.json.
public struct NetworkConfig: Codable, Sendable, Equatable {
    public var name: String
    /// 64 hex digits, like Docker's network IDs.
    public var id: String
    public var driver: NetworkDriver
    public var subnet: IPv4Subnet?
    public var gateway: IPv4Address?
    /// No route out of the network and no published ports from outside.
    public var `internal`: Bool
    /// The Linux bridge of a `bridge` network.
    public var bridge: String?
    /// The parent interface of macvlan/ipvlan networks.
    public var parent: String?
    /// The conflist of a `cni` network (as given by the user).
    public var conflist: JSONValue?
    /// The app a spec network belongs to (nil for networks made with `cnc network create`).
    public var app: String?
    public var labels: [String: String]
    /// Seconds since the epoch.
    public var created: Int64

    public init(name: String, id: String, driver: NetworkDriver, subnet: IPv4Subnet?, gateway: IPv4Address?,
                internal: Bool, bridge: String?, parent: String? = nil, conflist: JSONValue? = nil,
                app: String? = nil, labels: [String: String] = [:], created: Int64) {
        self.name = name
        self.id = id
        self.driver = driver
        self.subnet = subnet
        self.gateway = gateway
        self.internal = `internal`
        self.bridge = bridge
        self.parent = parent
        self.conflist = conflist
        self.app = app
        self.labels = labels
        self.created = created
    }

    /// Network names: what Docker accepts, [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 characters.
    public static func validate(name: String) throws {
        let ok = !name.isEmpty && name.utf8.count <= 64 && name.utf8.enumerated().allSatisfy { i, c in
            let alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
            return alnum || (i > 0 && (c == 0x5f || c == 0x2e || c == 0x2d))
        }
        guard ok else {
            throw CNCError(.invalidArgument, "invalid network name \"\(name)\": want [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 characters")
        }
    }
}

/// Options of `cnc network create`.
public struct NetworkCreateOptions: Sendable {
    public var name: String
    public var driver: NetworkDriver = .bridge
    public var subnet: IPv4Subnet?
    public var gateway: IPv4Address?
    public var `internal` = false
    public var parent: String?
    public var conflist: JSONValue?
    public var app: String?
    public var labels: [String: String] = [:]
    /// Return the existing network instead of failing when one with this name exists.
    public var ifNotExists = false

    public init(name: String) { self.name = name }
}
