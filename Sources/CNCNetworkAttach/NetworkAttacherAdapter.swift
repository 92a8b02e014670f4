import CNCCore
import CNCNetwork
import CNCRuntime
import CNCSystem

/// Plugs CNCNetwork into the runtime's start seam: after clone, before the child is released,
/// the container joins its bridge network; at `stop` (docker leaves there too) and at removal
/// it leaves. The hosts and resolv.conf it writes are the runtime's own files (which cnc-init
/// bind-mounts), rewritten in place.
public struct EngineNetworkAttacher: NetworkAttacher {
    public let manager: NetworkManager
    let store: ContainerStore

    /// `manager`: nil for the default one (firewall changes through the `cnc-net nft` helper,
    /// as the static front needs); the engine passes one with libnftables in-process.
    public init(stateRoot: String, manager: NetworkManager? = nil) {
        self.manager = manager ?? NetworkManager(root: stateRoot)
        store = ContainerStore(root: stateRoot)
    }

    /// The network a `--network NAME` means: Docker's "bridge" is cnc's default network.
    static func networkName(_ name: String) -> String { name == "bridge" ? NetworkManager.defaultNetworkName : name }

    /// Every named network must exist (the default one is made on first use, an app's own
    /// networks by the app): docker's "network X not found", at create.
    public func check(container c: ContainerConfig) throws {
        guard case .bridge(let requested) = c.network else { return }
        for name in [requested] + (c.additionalNetworks ?? []).map(\.name) {
            let n = Self.networkName(name)
            if n == NetworkManager.defaultNetworkName { continue }
            if let project = c.labels["cnc.project"], n.hasPrefix(project + "_") { continue }
            _ = try manager.network(n)
        }
    }

    public func attach(container c: ContainerConfig, pid: Int32) throws {
        guard case .bridge(let requested) = c.network else { return }
        var requests: [NetworkAttachmentRequest] = []
        var first = true
        // The first network carries the published ports; the others add interfaces and aliases.
        for (requestedName, aliases, address) in [(requested, c.networkAliases ?? [], c.ipv4Address)]
            + (c.additionalNetworks ?? []).map({ ($0.name, $0.aliases, $0.ipv4Address) }) {
            let name = Self.networkName(requestedName)
            // Spec networks ("<project>_<network>") are created on first use, scoped to the app.
            if let project = c.labels["cnc.project"], name.hasPrefix(project + "_"), (try? manager.network(name)) == nil {
                var o = NetworkCreateOptions(name: name)
                o.app = project
                o.ifNotExists = true
                _ = try manager.create(o)
            }
            var aliases = aliases
            if let service = c.labels["cnc.service"], !aliases.contains(service) { aliases.insert(service, at: 0) }
            var ip: IPv4Address?
            if let text = address {
                guard let a = IPv4Address(text) else { throw CNCError(.invalidArgument, "invalid --ip \"\(text)\": want an IPv4 address") }
                ip = a
            }
            requests.append(NetworkAttachmentRequest(
                network: name, ip: ip, aliases: aliases, ports: first ? (c.publish ?? []) : []))
            first = false
        }
        let dir = store.directory(c.id)
        let options = ContainerNetworkOptions(
            name: c.name, hostname: c.hostname, dns: c.dns.compactMap(IPv4Address.init), dnsSearch: c.dnsSearch ?? [],
            dnsOptions: c.dnsOptions ?? [], extraHosts: c.extraHosts.compactMap { try? HostEntry.parse($0) }, // IPv4 only (no IPv6 here)
            hostsPath: dir + "/hosts", resolvConfPath: dir + "/resolv.conf")
        Trace.mark("network attach begins")
        _ = try manager.attach(container: c.id, netns: .pid(pid), requests: requests, options: options)
        Trace.mark("network attached")
    }

    public func detach(container c: ContainerConfig) throws {
        Trace.mark("network detach begins")
        try manager.detach(container: c.id)
        Trace.mark("network detached")
    }
}
