import CNCCore
import CNCNetwork
import CNCRuntime
import CNCSystem

/// Rootless cnc's networks, podman's way: the default network (`--network bridge`, nothing
/// else) is a pasta of the container's own (`PastaAttacher`); named networks and an app's
/// networks are cnc's bridge driver inside the user's rootless network namespace
/// (`RootlessNetns`, entered by `NetworkManager`), so containers on one network reach each
/// other by address and by name (cnc-dns runs in that namespace). Published ports on them get
/// a pasta of their own that binds the host ports as the user and splices host-loopback
/// connections to the same port in the rootless namespace, where the bridge driver's DNAT
/// forwards them to the container.
public struct RootlessAttacher: NetworkAttacher {
    let pasta: PastaAttacher
    let bridge: EngineNetworkAttacher
    let store: ContainerStore

    public init(stateRoot: String, manager: NetworkManager? = nil) {
        pasta = PastaAttacher(stateRoot: stateRoot)
        bridge = EngineNetworkAttacher(stateRoot: stateRoot, manager: manager)
        store = ContainerStore(root: stateRoot)
    }

    /// True when the container is on the default network alone (pasta).
    static func usesPasta(_ c: ContainerConfig) -> Bool {
        guard case .bridge(let name) = c.network else { return false }
        return name == "bridge" && (c.additionalNetworks ?? []).isEmpty
    }

    public func check(container c: ContainerConfig) throws {
        guard case .bridge = c.network else { return }
        try PastaAttacher.checkHost(c)
        if Self.usesPasta(c) { return }
        // Only the host's loopback reaches a user network's published ports (see above).
        if let p = (c.publish ?? []).first(where: { $0.hostIP.map { !"\($0)".hasPrefix("127.") } ?? false }) {
            throw CNCError(.unsupported, "publishing port \(p.hostPort) on \(p.hostIP.map { "\($0)" } ?? "") is not supported yet on a rootless user "
                + "network: publish on 127.0.0.1 (or the default network, pasta)")
        }
        try bridge.check(container: c)
    }

    public func attach(container c: ContainerConfig, pid: Int32) throws {
        if Self.usesPasta(c) { return try pasta.attach(container: c, pid: pid) }
        try bridge.attach(container: c, pid: pid)
        let ports = bridge.manager.attachments(of: c.id).flatMap(\.ports)
        guard !ports.isEmpty else { return }
        do {
            func spec(_ proto: PortProtocol) -> String {
                let mine = ports.filter { $0.proto == proto }
                if mine.isEmpty { return "none" }
                // Host port to the same port in the namespace, where the DNAT map has it.
                return mine.map { "\($0.hostIP.map { "\($0)/" } ?? "127.0.0.1/")\($0.hostPort):\($0.hostPort)" }.joined(separator: ",")
            }
            let dir = store.directory(c.id)
            try RootlessNetns.startPortForwarder(tcp: spec(.tcp), udp: spec(.udp), ifname: "cp" + String(c.id.rawValue.prefix(10)),
                                                 pidfile: dir + "/pasta.pid", errPath: dir + "/pasta.err")
        } catch {
            try? bridge.detach(container: c)
            throw error
        }
    }

    public func detach(container c: ContainerConfig) throws {
        try pasta.detach(container: c)
        if !Self.usesPasta(c) { try bridge.detach(container: c) }
    }
}
