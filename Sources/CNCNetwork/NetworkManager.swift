import CNCCore
import CNCSystem
import Foundation
import Synchronization

/// cnc's networks on one state root: definitions, the native bridge driver, the CNI driver,
/// container attachments and name resolution. The runtime calls `attach` between clone and
/// releasing the child, and `detach` at teardown; the CLI calls the rest.
///
/// Every mutating operation holds `<root>/networks/lock` (flock: it serialises threads of one
/// process as well as processes), so callers never interleave; what is done to the kernel is
/// recorded first so the sweep can undo it. Calls are synchronous and fast (netlink, and
/// nftables through `nftables`: libnftables in-process, or the `cnc-net nft` helper from the
/// static front); CNI networks block while their plugins run.
public final class NetworkManager: Sendable {
    public let paths: NetworkPaths
    public let firewall: FirewallTable
    /// The default network's name (Docker calls it "bridge"; cnc calls it "cnc").
    public static let defaultNetworkName = "cnc"
    public static let defaultStateRoot = "/var/lib/cnc"
    let isDefaultRoot: Bool
    let cniPluginPath: [String]
    let makeNftables: @Sendable () throws -> any NftablesRunner
    /// Opened on first use; used only under the networks lock, which serialises callers.
    private let handles = Mutex<(netlink: RouteNetlink?, nft: (any NftablesRunner)?)>((nil, nil))
    /// While a batch is open (`beginVethBatch`): the released host veths whose
    /// namespace is gone but which the kernel still lists, waited for once when it closes.
    let dyingVeths = NestedBatch<String>()

    /// `nftables`: how firewall changes run, made on the first one (most starts need none). The
    /// default spawns the `cnc-net nft` helper; executables that link libnftables pass
    /// CNCNftables' in-process context (`NetworkManager.inProcess(root:)`).
    public init(root: String, nftables: @escaping @Sendable () throws -> any NftablesRunner = { NftablesHelper() },
                cniPluginPath: [String] = CNIPluginDirectory.defaultSearchPath) {
        paths = NetworkPaths(root: root)
        makeNftables = nftables
        isDefaultRoot = root == Self.defaultStateRoot
        firewall = FirewallTable.forRoot(root, isDefault: isDefaultRoot)
        self.cniPluginPath = cniPluginPath
    }

    // MARK: - plumbing

    func netlink() throws -> RouteNetlink {
        try handles.withLock { h in
            if let n = h.netlink { return n }
            let n = RouteNetlink(socket: try NetlinkSocket())
            h.netlink = n
            return n
        }
    }

    func nft() throws -> any NftablesRunner {
        try handles.withLock { h in
            if let n = h.nft { return n }
            let n = try makeNftables()
            h.nft = n
            return n
        }
    }

    /// Runs `body` holding the networks lock of this root. Rootless, `body` runs inside the
    /// user's rootless network namespace: made (with its pasta) when `attaching`; otherwise
    /// the existing one, or a throwaway namespace when there is none (removing a network whose
    /// namespace is already gone needs no pasta). The namespace goes again once no live
    /// container is attached (its resolvers stopped first): networks' bridges and rules are
    /// made again by the next attach (`ensureBridge`), as after a reboot.
    func locked<T>(attaching: Bool = false, _ body: () throws -> T) throws -> T {
        let lock = try RootLock(root: paths.base)
        defer { lock.close() }
        guard Rootless.isActive else { return try body() }
        defer {
            if let live = try? records().filter(isAlive), live.isEmpty {
                stopUnusedResolvers(live: [])
                handles.withLock { $0 = (nil, nil) }
                RootlessNetns.remove()
            }
        }
        // Handles are per namespace: a throwaway one's go with it.
        let throwaway = !attaching && !RootlessNetns.exists
        defer { if throwaway { handles.withLock { $0 = (nil, nil) } } }
        return try RootlessNetns.within(make: !throwaway) { try body() }
    }

    // MARK: - definitions

    public func list() throws -> [NetworkConfig] { try loadAll() }

    func loadAll() throws -> [NetworkConfig] {
        guard FileSystem.isDirectory(paths.defs) else { return [] }
        return try FileSystem.listDirectory(paths.defs).filter { $0.hasSuffix(".json") }.compactMap { file in
            try? decode(NetworkConfig.self, paths.defs + "/" + file)
        }.sorted { $0.name < $1.name }
    }

    /// The network called `name` (or whose ID starts with `name`); Docker's name of the default
    /// network, `bridge`, is cnc's default network (`cnc network inspect bridge`, `connect bridge`).
    public func network(_ name: String) throws -> NetworkConfig {
        if FileSystem.exists(paths.def(name)), let n = try? decode(NetworkConfig.self, paths.def(name)) { return n }
        if name == "bridge", let n = try? decode(NetworkConfig.self, paths.def(Self.defaultNetworkName)) { return n }
        let byID = try loadAll().filter { name.count >= 3 && $0.id.hasPrefix(name) }
        if byID.count == 1 { return byID[0] }
        throw CNCError(.notFound, "network \(name) not found")
    }

    func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        let bytes = try FileSystem.readBytes(path)
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
            throw CNCError.failed("read", path, code: .io, cause: error)
        }
    }

    func save(_ network: NetworkConfig) throws {
        try FileSystem.createDirectory(paths.defs, mode: 0o700)
        try FileSystem.writeAtomically(try CanonicalJSON.encode(network, pretty: true), to: paths.def(network.name), mode: 0o600)
    }

    // MARK: - create / remove

    /// Creates a network: the definition, then (bridge driver) the bridge, its address and the
    /// firewall rules; (CNI drivers) the conflist. Undone if any step fails.
    public func create(_ options: NetworkCreateOptions) throws -> NetworkConfig {
        try NetworkConfig.validate(name: options.name)
        if Rootless.isActive, let why = Rootless.networkDriverRefusal(options.driver.rawValue) { throw CNCError(.unsupported, why) }
        return try locked {
            if let existing = try? network(options.name), existing.name == options.name {
                if options.ifNotExists { return existing }
                throw CNCError(.alreadyExists, "network with name \(options.name) already exists")
            }
            return try createLocked(options)
        }
    }

    func createLocked(_ options: NetworkCreateOptions) throws -> NetworkConfig {
        let id = ContainerID.random().rawValue
        var config = NetworkConfig(name: options.name, id: id, driver: options.driver, subnet: nil, gateway: nil,
                                   internal: options.internal, bridge: nil, parent: options.parent,
                                   conflist: options.conflist, app: options.app, labels: options.labels,
                                   created: Int64(Date().timeIntervalSince1970))
        // Subnets are chosen against the host's routes. Other state roots choose too, so the
        // choice and the bridge that makes it a route are one step host-wide.
        let subnetLock = options.driver == .bridge ? try RootLock(file: Self.subnetLockFile, holder: "subnet allocation") : nil
        defer { subnetLock?.close() }
        switch options.driver {
        case .bridge:
            let subnet = try options.subnet ?? chooseSubnet(default: options.name == Self.defaultNetworkName)
            try checkFree(subnet, name: options.name)
            config.subnet = subnet
            config.gateway = try gateway(options.gateway, in: subnet)
            config.bridge = isDefaultRoot && options.name == Self.defaultNetworkName ? "cnc0" : "cnc-" + String(id.prefix(10))
        case .macvlan, .ipvlan:
            guard let parent = options.parent, !parent.isEmpty else {
                throw CNCError(.invalidArgument, "a \(options.driver.rawValue) network needs a parent interface (-o parent=IFACE)")
            }
            guard try netlink().link(named: parent) != nil else {
                throw CNCError(.notFound, "parent interface \(parent) not found")
            }
            let subnet = try options.subnet ?? { throw CNCError(.invalidArgument, "a \(options.driver.rawValue) network needs --subnet") }()
            config.subnet = subnet
            config.gateway = try gateway(options.gateway, in: subnet)
        case .cni:
            guard let list = options.conflist, case .array(let plugins)? = list["plugins"], !plugins.isEmpty else {
                throw CNCError(.invalidArgument, "a cni network needs a conflist with a non-empty \"plugins\" array")
            }
            config.subnet = options.subnet
            config.gateway = options.gateway
        }
        try save(config)
        do {
            if config.driver == .bridge {
                try ensureBridge(config) // also installs the firewall rules
            } else {
                try writeConflist(config)
            }
        } catch {
            if let br = config.bridge { _ = try? netlink().deleteLink(name: br) }
            try? FileSystem.remove(paths.def(config.name))
            try? FileSystem.remove(paths.conflist(config.name))
            throw CNCError.failed("create", "network \(config.name)", cause: error)
        }
        recordEvent("create", config)
        return config
    }

    /// Held (flock) from choosing a bridge network's subnet until its bridge has the address.
    /// Rootless, the user's networks live in their own namespace: the lock is the user's.
    static var subnetLockFile: String { RootlessNetns.directory.map { $0 + "/subnets.lock" } ?? "/run/cnc-subnets.lock" }

    func gateway(_ given: IPv4Address?, in subnet: IPv4Subnet) throws -> IPv4Address {
        guard let given else { return subnet.firstHost }
        guard subnet.isAssignable(given) else {
            throw CNCError(.invalidArgument, "gateway \(given) is not a host address of \(subnet)")
        }
        return given
    }

    /// Removes a network. Refuses while containers are attached (Docker: "has active endpoints").
    public func remove(_ name: String) throws {
        let bridges = try locked {
            let config = try network(name)
            let users = try records().filter { $0.attachments.contains { $0.networkID == config.id } }
            if !users.isEmpty {
                throw CNCError(.conflict, "network \(config.name) has active endpoints",
                               context: ["containers": users.map { $0.options.name ?? $0.container.short }.joined(separator: ",")])
            }
            return try deferredBridges(removeLocked(config))
        }
        try deleteBridges(bridges)
    }

    /// Removes a network's definition, rules, leases and resolver; returns its bridge (if any),
    /// which the caller deletes once the lock is released (deleteBridges).
    func removeLocked(_ config: NetworkConfig) throws -> [String] {
        var bridges: [String] = []
        stopResolver(pidfile: paths.dnsPidfile(network: config.id))
        if config.driver == .bridge {
            Trace.mark("network remove: resolver stopped")
            try applyNetworkRules(removing: config)
            Trace.mark("network remove: rules removed")
            if let br = config.bridge { bridges.append(br) }
        } else {
            try FileSystem.remove(paths.conflist(config.name))
            if FileSystem.exists(paths.cniIPAM + "/" + config.name) { try FileSystem.removeTree(paths.cniIPAM + "/" + config.name) }
        }
        if FileSystem.exists(paths.leases(network: config.id)) { try FileSystem.removeTree(paths.leases(network: config.id)) }
        try FileSystem.remove(paths.def(config.name))
        recordEvent("destroy", config)
        return bridges
    }

    /// Deletes removed networks' bridges, outside the networks' lock: the kernel's bridge
    /// deletion waits out two RCU barriers (40-60 ms here), which held every attach and detach
    /// of the root back while the lock was held. The bridge's name is its network's id, never
    /// reused by another network, and its definition is gone already, so nothing can join it.
    /// Inside `locked`: the bridges to delete once the lock is released, or none after
    /// deleting them here. Rootless, a bridge lives in the user's network namespace, which
    /// only the lock's body runs in (and which may go with the lock).
    func deferredBridges(_ bridges: [String]) throws -> [String] {
        guard Rootless.isActive else { return bridges }
        try deleteBridges(bridges)
        return []
    }

    func deleteBridges(_ bridges: [String]) throws {
        for br in bridges { try netlink().deleteLink(name: br) }
        if !bridges.isEmpty { Trace.mark("network remove: bridge deleted") }
    }

    /// Removes every network no container uses (the default network included only when
    /// `includeDefault`). `alsoUsed` names (or IDs) networks that containers without an
    /// attachment (stopped ones) were created on: docker counts those as users too. Returns the
    /// names removed.
    /// `matching` (docker's prune filters): only the unused networks it accepts go.
    public func prune(includeDefault: Bool = false, alsoUsed: Set<String> = [], matching: (NetworkConfig) -> Bool = { _ in true }) throws -> [String] {
        let (removed, bridges) = try locked {
            try sweepLocked()
            let used = Set(try records().flatMap { $0.attachments.map(\.networkID) })
            var removed: [String] = [], bridges: [String] = []
            for n in try loadAll() where !used.contains(n.id) && !alsoUsed.contains(n.name) && !alsoUsed.contains(n.id)
                && (includeDefault || n.name != Self.defaultNetworkName) && matching(n) {
                bridges += try deferredBridges(removeLocked(n))
                removed.append(n.name)
            }
            return (removed, bridges)
        }
        try deleteBridges(bridges)
        return removed
    }

    /// The default network, created on first use with a subnet free on this host.
    @discardableResult
    public func ensureDefaultNetwork() throws -> NetworkConfig {
        if let n = try? network(Self.defaultNetworkName) { return n }
        var o = NetworkCreateOptions(name: Self.defaultNetworkName)
        o.ifNotExists = true
        return try create(o)
    }
}

/// One container on a network, as `cnc network inspect` shows it.
public struct NetworkEndpoint: Sendable, Equatable, Codable {
    public var container: ContainerID
    public var name: String?
    public var attachment: Attachment
}

extension NetworkManager {
    /// The containers attached to network `name`.
    public func endpoints(_ name: String) throws -> [NetworkEndpoint] {
        let net = try network(name)
        return try records().flatMap { r in
            r.attachments.filter { $0.networkID == net.id }.map { NetworkEndpoint(container: r.container, name: r.options.name, attachment: $0) }
        }.sorted { $0.container < $1.container }
    }

    /// The attachments of one container (empty when it has none).
    public func attachments(of container: ContainerID) -> [Attachment] {
        (try? decode(AttachmentRecord.self, paths.record(container.rawValue)))?.attachments ?? []
    }
}
