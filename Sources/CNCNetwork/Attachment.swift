import CNCCore

/// Where a container's network namespace is: a process in it, or a bind-mounted netns file.
public enum NetnsReference: Sendable, Equatable, Codable {
    case pid(Int32)
    case path(String)

    public var path: String {
        switch self {
        case .pid(let p): "/proc/\(p)/ns/net"
        case .path(let p): p
        }
    }
}

/// One network a container asks to join.
public struct NetworkAttachmentRequest: Sendable, Equatable {
    public var network: String
    /// A fixed address (`--ip`, `ipv4_address`); nil picks the lowest free one.
    public var ip: IPv4Address?
    /// Extra names on this network (`--network-alias`, the service name in an app).
    public var aliases: [String]
    /// Host ports forwarded to this container through this network.
    public var ports: [PublishedPort]

    public init(network: String, ip: IPv4Address? = nil, aliases: [String] = [], ports: [PublishedPort] = []) {
        self.network = network
        self.ip = ip
        self.aliases = aliases
        self.ports = ports
    }
}

/// A host name forced into /etc/hosts (`--add-host`, `extra_hosts`).
public struct HostEntry: Sendable, Equatable, Codable {
    public var name: String
    public var address: IPv4Address
    public init(name: String, address: IPv4Address) {
        self.name = name
        self.address = address
    }

    /// Parses "name:1.2.3.4" (also "name=1.2.3.4", compose's other form).
    public static func parse(_ text: String) throws -> HostEntry {
        let sep = text.firstIndex(of: "=") ?? text.firstIndex(of: ":")
        guard let sep, let a = IPv4Address(String(text[text.index(after: sep)...])), sep > text.startIndex else {
            throw CNCError(.invalidArgument, "invalid host entry \"\(text)\": want NAME:IPv4")
        }
        return HostEntry(name: String(text[..<sep]), address: a)
    }
}

/// Per-container settings for name resolution.
public struct ContainerNetworkOptions: Sendable, Equatable, Codable {
    /// The container's name: other containers on its networks resolve it.
    public var name: String?
    public var hostname: String?
    public var dns: [IPv4Address]
    public var dnsSearch: [String]
    public var dnsOptions: [String]
    public var extraHosts: [HostEntry]
    /// Where to write the container's hosts and resolv.conf (the runtime's files, which it
    /// bind-mounts); nil: under <root>/networks/containers/<id>/. Rewritten in place.
    public var hostsPath: String?
    public var resolvConfPath: String?

    public init(name: String? = nil, hostname: String? = nil, dns: [IPv4Address] = [], dnsSearch: [String] = [],
                dnsOptions: [String] = [], extraHosts: [HostEntry] = [], hostsPath: String? = nil, resolvConfPath: String? = nil) {
        self.hostsPath = hostsPath
        self.resolvConfPath = resolvConfPath
        self.name = name
        self.hostname = hostname
        self.dns = dns
        self.dnsSearch = dnsSearch
        self.dnsOptions = dnsOptions
        self.extraHosts = extraHosts
    }
}

/// What joining one network produced.
public struct Attachment: Sendable, Equatable, Codable {
    public var network: String
    public var networkID: String
    public var driver: NetworkDriver
    /// The interface inside the container (eth0...).
    public var interface: String
    /// The host end of the veth pair (bridge driver).
    public var hostInterface: String?
    public var address: IPv4Address
    public var prefixLength: Int
    public var gateway: IPv4Address?
    /// Names others on this network resolve to `address`: container name, aliases.
    public var names: [String]
    /// Published ports with their host ports chosen.
    public var ports: [PublishedPort]
}

/// The result of `NetworkManager.attach`: the interfaces, and the files to bind-mount as the
/// container's /etc/hosts and /etc/resolv.conf. cnc rewrites `hostsPath` in place when peers
/// join or leave, so bind-mount it (do not copy it) to keep name resolution current.
public struct AttachResult: Sendable, Equatable {
    public var attachments: [Attachment]
    public var hostsPath: String
    public var resolvConfPath: String
    public var hosts: String
    public var resolvConf: String
}

/// What cnc did for one container, written before the kernel is touched so a crash at any
/// point leaves enough to undo it (the sweep).
struct AttachmentRecord: Codable, Sendable {
    var container: ContainerID
    var netnsPath: String
    /// Identifies the namespace: a record whose namespace is gone is stale.
    var netnsInode: UInt64?
    /// With a pid reference: the process start time, which tells it from a later pid reuse.
    var pidStartTime: UInt64?
    var options: ContainerNetworkOptions
    var attachments: [Attachment]
}
