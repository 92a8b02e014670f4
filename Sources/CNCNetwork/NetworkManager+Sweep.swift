import CNCCore
import CNCSystem

/// What a sweep cleaned up.
public struct SweepReport: Sendable, Equatable, Codable {
    public var containers: [String] = []
    public var leases: [String] = []
    public var portElements: [String] = []
    public var links: [String] = []
    public var cniResults: [String] = []
    public var isEmpty: Bool { containers.isEmpty && leases.isEmpty && portElements.isEmpty && links.isEmpty && cniResults.isEmpty }
}

extension NetworkManager {
    /// Undoes what dead containers left behind — after a kill -9 of cnc, a crashed runtime or a
    /// reboot-like loss of /run: attachments whose namespace is gone, leases nobody holds,
    /// published-port elements pointing nowhere, veths on cnc bridges that no attachment names,
    /// and cached CNI results without an attachment (DEL is run for them).
    @discardableResult
    public func sweep() throws -> SweepReport {
        try locked { try sweepLocked() }
    }

    @discardableResult
    func sweepLocked() throws -> SweepReport {
        var report = SweepReport()
        var live: [AttachmentRecord] = []
        for r in try records() {
            if isAlive(r) { live.append(r); continue }
            try? release(r, r.attachments)
            try? FileSystem.removeTree(paths.container(r.container.rawValue))
            report.containers.append(r.container.short)
        }
        // Containers whose directory has no readable record (crash before the first write).
        if FileSystem.isDirectory(paths.containers) {
            let known = Set(live.map(\.container.rawValue))
            for id in try FileSystem.listDirectory(paths.containers) where !known.contains(id) && !FileSystem.exists(paths.record(id)) {
                try? FileSystem.removeTree(paths.container(id))
            }
        }
        if !report.containers.isEmpty { for r in live { try? refreshPeers(of: r, excluding: r.container, all: live) } }

        let networks = try loadAll()
        // DNS: the records of the live containers; a server for each network in use (one that
        // crashed comes back), none for the others.
        try? writeDNSRecords(live)
        stopUnusedResolvers(live: live)
        let inUse = Set(live.flatMap { $0.attachments.map(\.networkID) })
        for net in networks where inUse.contains(net.id) && Self.servesDNS(driver: net.driver, network: net.name) {
            _ = ensureResolver(net)
        }
        // Leases: kept only when a live attachment holds that address on that network.
        for net in networks {
            guard let subnet = net.subnet, net.driver == .bridge else { continue }
            let ipam = IPAM(directory: paths.leases(network: net.id), subnet: subnet, gateway: net.gateway)
            for (addr, holder) in try ipam.leases() {
                let held = live.contains { $0.container.rawValue == holder && $0.attachments.contains { $0.networkID == net.id && $0.address == addr } }
                if !held {
                    try ipam.release(addr)
                    report.leases.append("\(net.name)/\(addr)")
                }
            }
        }

        // Published-port elements: kept only when a live attachment publishes them.
        if networks.contains(where: { $0.driver == .bridge }) {
            // Rules are regenerated as a whole (idempotent): repairs a crash between a
            // network's bridge and its rules, or a flushed ruleset.
            try? applyNetworkRules()
            report.portElements = (try? sweepPortElements(live: live)) ?? []
        }

        // Veths enslaved to a bridge of this root that no live attachment names.
        let bridges = Set(networks.compactMap(\.bridge))
        let names = Set(live.flatMap { $0.attachments.compactMap(\.hostInterface) })
        let links = try netlink().links()
        let bridgeIndexes = Set(links.filter { bridges.contains($0.name) }.map(\.index))
        for l in links where l.kind == "veth" && l.masterIndex.map(bridgeIndexes.contains) == true && !names.contains(l.name) {
            try netlink().deleteLink(name: l.name)
            report.links.append(l.name)
        }

        // Cached CNI results without a live attachment: DEL them (the netns is gone).
        if FileSystem.isDirectory(paths.cniResults) {
            for file in try FileSystem.listDirectory(paths.cniResults) {
                guard let cached = try? decode(JSONValue.self, paths.cniResults + "/" + file),
                      case .string(let cid)? = cached["containerId"], case .string(let netName)? = cached["networkName"],
                      case .string(let ifName)? = cached["ifName"], let id = try? ContainerID(cid) else {
                    try? FileSystem.remove(paths.cniResults + "/" + file)
                    continue
                }
                if live.contains(where: { $0.container == id }) { continue }
                if let net = try? network(netName) { try? cniDel(net, container: id, netnsPath: "", interface: ifName) }
                try? FileSystem.remove(paths.cniResults + "/" + file)
                report.cniResults.append(file)
            }
        }
        return report
    }

    /// Deletes map elements of this root's table that no live attachment publishes.
    func sweepPortElements(live: [AttachmentRecord]) throws -> [String] {
        var wanted: Set<String> = []
        for r in live {
            for a in r.attachments {
                for p in a.ports { wanted.insert(firewall.portElements([p], to: a.address)) }
            }
        }
        let nft = try nft()
        var removed: [String] = []
        for proto in PortProtocol.publishable {
            for anyAddress in [true, false] {
                let map = FirewallTable.mapName(proto, anyAddress: anyAddress)
                guard let listing = try? nft.listJSON("list map ip \(firewall.name) \(map)", what: "list \(map)") else { continue }
                for (key, value) in Self.mapElements(listing) {
                    guard let target = Self.concat(value), let targetAddr = IPv4Address(target.0) else { continue }
                    var port = PublishedPort(hostPort: 0, containerPort: target.1, proto: proto)
                    if anyAddress {
                        guard case .int(let hp) = key else { continue }
                        port.hostPort = UInt16(clamping: hp)
                    } else {
                        guard let k = Self.concat(key), let hip = IPv4Address(k.0) else { continue }
                        port.hostIP = hip
                        port.hostPort = k.1
                    }
                    let add = firewall.portElements([port], to: targetAddr)
                    if wanted.contains(add) { continue }
                    _ = try? nft.run(firewall.portElements([port], to: targetAddr, delete: true), what: "delete stale port element")
                    removed.append(port.description)
                }
            }
        }
        return removed
    }

    /// [key, value] pairs of the "elem" of a `list map` JSON answer.
    static func mapElements(_ listing: JSONValue) -> [(JSONValue, JSONValue)] {
        guard case .array(let items)? = listing["nftables"] else { return [] }
        var out: [(JSONValue, JSONValue)] = []
        for item in items {
            guard case .array(let elems)? = item["map"]?["elem"] else { continue }
            for e in elems {
                if case .array(let pair) = e, pair.count == 2 { out.append((pair[0], pair[1])) }
            }
        }
        return out
    }

    /// {"concat": ["10.1.0.2", 80]} -> ("10.1.0.2", 80)
    static func concat(_ v: JSONValue) -> (String, UInt16)? {
        guard case .array(let parts)? = v["concat"], parts.count == 2, case .string(let a) = parts[0], case .int(let p) = parts[1] else { return nil }
        return (a, UInt16(clamping: p))
    }
}
