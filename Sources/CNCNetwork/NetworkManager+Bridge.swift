import CNCCore
import CNCSystem

extension NetworkManager {
    /// Subnets in use on this host: routes of every table (but the default route) and the
    /// subnets of this root's networks.
    func subnetsInUse() throws -> [IPv4Subnet] {
        var used = try netlink().routes().compactMap { r -> IPv4Subnet? in
            guard r.prefixLength > 0, let a = IPv4Address(bytes: r.destination) else { return nil }
            return IPv4Subnet(network: a, prefixLength: r.prefixLength)
        }
        used += try loadAll().compactMap(\.subnet)
        return used
    }

    /// The first candidate that overlaps no route and no network: for the default network
    /// 10.88.0.0/16, then 10.87.0.0/16..., 172.17-31.0.0/16; for others /24s of 10.89-10.99.
    func chooseSubnet(default isDefault: Bool) throws -> IPv4Subnet {
        let used = try subnetsInUse()
        var candidates: [IPv4Subnet] = []
        if isDefault {
            for b in [88, 87, 86, 85, 84] { candidates.append(IPv4Subnet(network: IPv4Address(UInt32(10 << 24 | b << 16)), prefixLength: 16)) }
            for b in 17...31 { candidates.append(IPv4Subnet(network: IPv4Address(UInt32(172 << 24 | b << 16)), prefixLength: 16)) }
        } else {
            for b in 89...99 {
                for c in 0...255 {
                    candidates.append(IPv4Subnet(network: IPv4Address(UInt32(10 << 24 | b << 16 | c << 8)), prefixLength: 24))
                }
            }
        }
        guard let free = candidates.first(where: { c in !used.contains { $0.overlaps(c) } }) else {
            throw CNCError(.conflict, "no free subnet left for a new network; pass --subnet")
        }
        return free
    }

    /// A requested subnet must not overlap a route or another network of this root.
    func checkFree(_ subnet: IPv4Subnet, name: String) throws {
        if let clash = try subnetsInUse().first(where: { $0.overlaps(subnet) }) {
            throw CNCError(.conflict, "subnet \(subnet) for network \(name) overlaps \(clash), which is in use on this host")
        }
    }

    /// Makes sure the bridge of `config` exists with its gateway address, up, with localhost
    /// publishing allowed; recreates it after a reboot. Returns its interface index.
    @discardableResult
    func ensureBridge(_ config: NetworkConfig) throws -> Int32 {
        guard let br = config.bridge, let subnet = config.subnet, let gw = config.gateway else {
            throw CNCError(.internal, "network \(config.name) has no bridge, subnet or gateway")
        }
        let nl = try netlink()
        if let link = try nl.link(named: br) {
            if !link.isUp { try nl.setUp(index: link.index, name: br) }
            return link.index
        }
        // A fixed, locally administered MAC: otherwise the bridge takes its lowest port's MAC,
        // which changes as containers come and go and makes peers' ARP caches stale.
        var mac: [UInt8] = [0x02, 0x42] + (0..<4).map { _ in UInt8.random(in: 0...255) }
        mac[0] = 0x02
        try nl.createBridge(name: br, mac: mac)
        guard let link = try nl.link(named: br) else { throw CNCError(.system, "bridge \(br) vanished after creation") }
        try nl.addAddress(index: link.index, address: gw.bytes, prefixLength: subnet.prefixLength, name: br)
        try Sysctl.write(["net", "ipv4", "conf", br, "route_localnet"], "1")
        if !config.internal { try Sysctl.write(["net", "ipv4", "ip_forward"], "1") }
        // A bridge that had to be (re)made may have lost its rules too (reboot, crash mid-create).
        try applyNetworkRules(adding: config)
        return link.index
    }

    /// Rewrites the table's per-network rules for the bridge networks on disk (plus `adding`,
    /// minus `removing`) in one transaction; deletes the table when no network remains.
    func applyNetworkRules(adding: NetworkConfig? = nil, removing: NetworkConfig? = nil) throws {
        var nets = try loadAll().filter { $0.driver == .bridge && $0.id != removing?.id }
        if let adding, !nets.contains(where: { $0.id == adding.id }) { nets.append(adding) }
        let rules = nets.compactMap { n -> FirewallTable.NetworkRules? in
            guard let br = n.bridge, let s = n.subnet else { return nil }
            return FirewallTable.NetworkRules(bridge: br, subnet: s, isInternal: n.internal)
        }
        let nft = try nft()
        if rules.isEmpty {
            do { try nft.run(firewall.deleteTable(), what: "delete nftables table \(firewall.name)") } catch let e as CNCError {
                if !(e.cause ?? "").contains("No such file") { throw e }
            }
            return
        }
        try nft.run(firewall.baseDefinition() + firewall.networkRules(rules), what: "install nftables rules of table \(firewall.name)")
    }

    /// Adds or removes published-port map elements; recreates the table if it is gone (a
    /// reboot or a flushed ruleset) and retries once.
    func applyPorts(_ ports: [PublishedPort], to address: IPv4Address, delete: Bool) throws {
        guard !ports.isEmpty else { return }
        let text = firewall.portElements(ports, to: address, delete: delete)
        let nft = try nft()
        do {
            try nft.run(text, what: delete ? "unpublish ports" : "publish ports \(ports.map(\.description).joined(separator: ", "))")
        } catch let e as CNCError {
            if delete {
                // One missing element fails the whole transaction: remove the rest one by one.
                for p in ports { _ = try? nft.run(firewall.portElements([p], to: address, delete: true), what: "unpublish port") }
                return
            }
            guard (e.cause ?? "").contains("No such file") else { throw e }
            try applyNetworkRules()
            try nft.run(text, what: "publish ports \(ports.map(\.description).joined(separator: ", "))")
        }
    }
}
