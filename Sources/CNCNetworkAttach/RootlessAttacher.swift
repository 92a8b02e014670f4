import CNCCore
import CNCNetwork
import CNCRuntime
import CNCSystem

/// Rootless cnc's networks, podman's way: the default network (`--network bridge`, nothing
/// else) is a pasta of the container's own (`PastaAttacher`); named networks and an app's
/// networks are cnc's bridge driver inside the user's rootless network namespace
/// (`RootlessNetns`, entered by `NetworkManager`), so containers on one network reach each
/// other by address and by name (cnc-dns runs in that namespace). Published ports on them are
/// bound on the host by cnc, as the user (0.0.0.0 unless the port names an address), and
/// relayed to the container's address in the rootless namespace by a `cnc-net forward`
/// (`PortForwarder`) of the container's own, podman's rootlessport.
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
        try bridge.check(container: c)
    }

    public func attach(container c: ContainerConfig, pid: Int32) throws {
        if Self.usesPasta(c) { return try pasta.attach(container: c, pid: pid) }
        // Host ports are the host's: `-p 80` gets one free there (not in the rootless
        // namespace, where the bridge driver would look), and every port is bound now, as the
        // user, so a taken one fails before anything is made.
        var c = c
        c.publish = try PastaAttacher.resolvePorts(c.publish ?? [])
        let sockets = try HostSockets(c.publish ?? [])
        defer { sockets.close() }
        try bridge.attach(container: c, pid: pid)
        guard !sockets.bound.isEmpty else { return }
        do {
            try startForwarder(c, sockets)
        } catch {
            try? bridge.detach(container: c)
            throw error
        }
    }

    /// The host sockets of a container's published ports (0.0.0.0 unless the port names an address).
    struct HostSockets {
        var bound: [(port: PublishedPort, fd: Int32)] = []

        init(_ ports: [PublishedPort]) throws {
            do {
                for p in ports where PortProtocol.publishable.contains(p.proto) {
                    let address = p.hostIP ?? IPv4Address(0)
                    do {
                        let fd = p.proto == .udp ? try BoundSocket.udp(address: address, port: p.hostPort)
                            : try BoundSocket.tcpListener(address: address, port: p.hostPort)
                        bound.append((p, fd))
                    } catch {
                        throw CNCError(.conflict, "rootless cnc cannot publish port \(p.hostPort)/\(p.proto.rawValue) on \(address): \(error)")
                    }
                }
            } catch {
                close()
                throw error
            }
        }

        func close() { for b in bound { BoundSocket.close(b.fd) } }
    }

    /// `cnc-net forward` (PortForwarder), in a session of its own, with the rootless namespace
    /// (fd 3) and the host sockets (fd 4...); its pid and start time go to `<dir>/portfwd.pid`.
    func startForwarder(_ c: ContainerConfig, _ sockets: HostSockets) throws {
        let attachments = bridge.manager.attachments(of: c.id)
        guard let dir = RootlessNetns.directory else { return }
        let ns = try RootlessNetns.open(dir: dir)
        defer { NamespaceFile.close(ns) }
        var rules: [PortForwarder.Rule] = []
        for (i, b) in sockets.bound.enumerated() {
            guard let a = attachments.first(where: { $0.ports.contains(b.port) }) ?? attachments.first else {
                throw CNCError(.internal, "no network attachment carries port \(b.port.hostPort)")
            }
            rules.append(PortForwarder.Rule(proto: b.port.proto, fd: Int32(4 + i), target: a.address, port: b.port.containerPort))
        }
        let cdir = store.directory(c.id)
        let errPath = cdir + "/portfwd.err"
        try FileSystem.writeReplacing([], to: errPath, mode: 0o600)
        let errFile = try UniqueFD(open: errPath, FD.writeOnly)
        let devnull = try UniqueFD(open: "/dev/null", FD.readWrite)
        var options = Spawn.Options()
        options.fdMap = [devnull.raw, devnull.raw, errFile.raw, ns] + sockets.bound.map(\.fd)
        options.newSession = true
        let helper = Host.helperDirectory + "/" + NftablesHelper.executable
        let pid = try Spawn.spawn(helper, arguments: ["cnc-net", "forward", "3"] + rules.map(\.argument), environment: [], options: options)
        guard let started = RecordedProcess.started(pid) else {
            throw CNCError(.network, "the port forwarder (\(helper)) ended at once: \((try? FileSystem.readText(errPath)) ?? "")")
        }
        try FileSystem.writeReplacing(Array(started.text.utf8), to: cdir + "/portfwd.pid", mode: 0o600)
    }

    /// Ends the container's port forwarder, if it runs.
    func stopForwarder(_ c: ContainerConfig) {
        let file = store.directory(c.id) + "/portfwd.pid"
        if let p = (try? FileSystem.readText(file)).flatMap(RecordedProcess.parse) { p.terminate() }
        try? FileSystem.remove(file)
    }

    public func detach(container c: ContainerConfig) throws {
        stopForwarder(c)
        try pasta.detach(container: c)
        if !Self.usesPasta(c) { try bridge.detach(container: c) }
    }
}
