import CNCCore
import CNCDNSCore
import CNCSystem

/// cnc's DNS server per network (cnc-dns; see ARCHITECTURE.md, "Name resolution"): started
/// with a network's first container, stopped with its last, fed by one records file that every
/// join and leave rewrites. Everything here runs under the networks lock.
extension NetworkManager {
    /// Docker gives DNS on user-defined networks, not on the default one (there containers use
    /// the host's resolvers); cnc-dns listens on the bridge's gateway, so bridge networks only.
    static func servesDNS(driver: NetworkDriver, network: String) -> Bool {
        driver == .bridge && network != defaultNetworkName
    }

    static var dnsBinary: String { Host.helperDirectory + "/cnc-dns" }

    /// Rewrites the records file from the live attachment records (skipped while no DNS
    /// network was ever used on this root).
    func writeDNSRecords(_ all: [AttachmentRecord]) throws {
        var records = DNSRecords()
        for r in all.sorted(by: { $0.container < $1.container }) {
            let served = r.attachments.filter { Self.servesDNS(driver: $0.driver, network: $0.network) }
            for a in served {
                records.entries.append(.init(network: a.network, address: a.address.value, container: r.container.short, names: a.names))
            }
            if !served.isEmpty, !r.options.dns.isEmpty {
                records.upstreams[r.container.short] = r.options.dns.map { DNSUpstream(address: $0.value) }
            }
        }
        if records.entries.isEmpty && !FileSystem.exists(paths.dnsRecords) { return }
        try FileSystem.createDirectory(paths.dns, mode: 0o755)
        try FileSystem.writeReplacing(Array(records.render().utf8), to: paths.dnsRecords, mode: 0o644)
    }

    /// The DNS server a container's resolv.conf names: the gateway of its first network that
    /// serves DNS, whose cnc-dns is started here if it is not running. nil: the host's
    /// resolvers (no such network, or the server could not be started).
    func dnsServer(for r: AttachmentRecord, networks known: [NetworkConfig] = []) -> IPv4Address? {
        for a in r.attachments where Self.servesDNS(driver: a.driver, network: a.network) {
            let net = known.first { $0.id == a.networkID } ?? (try? network(a.network))
            if let net, net.id == a.networkID, let address = ensureResolver(net) { return address }
        }
        return nil
    }

    /// Starts the network's cnc-dns unless it runs: binds UDP and TCP port 53 on the gateway
    /// here and hands both sockets to the child, so the start path never waits for it.
    func ensureResolver(_ net: NetworkConfig) -> IPv4Address? {
        guard let gateway = net.gateway else { return nil }
        let pidfile = paths.dnsPidfile(network: net.id)
        if let text = try? FileSystem.readText(pidfile), let p = RecordedProcess.parse(text), p.isRunning { return gateway }
        guard FileSystem.isExecutable(Self.dnsBinary) else { return nil }
        Trace.mark("dns server starts")
        var udp: Int32 = -1, tcp: Int32 = -1
        defer { for fd in [udp, tcp] where fd >= 0 { BoundSocket.close(fd) } }
        do {
            try FileSystem.createDirectory(paths.dns, mode: 0o755)
            udp = try BoundSocket.udp(address: gateway, port: 53)
            tcp = try BoundSocket.tcpListener(address: gateway, port: 53)
            let devnull = try FD.open("/dev/null", FD.readWrite)
            defer { FD.close(devnull) }
            let config = DNSServerConfig(network: net.name, address: gateway.value, recordsPath: paths.dnsRecords,
                                         pidfile: pidfile, forwards: !net.internal)
            var opts = Spawn.Options()
            opts.fdMap = [devnull, devnull, devnull, udp, tcp]
            opts.newSession = true
            let env = Host.environment("CNC_DNS_UPSTREAM").map { ["CNC_DNS_UPSTREAM=\($0)"] } ?? []
            Trace.mark("dns sockets bound")
            let pid = try Spawn.spawn(Self.dnsBinary, arguments: ["cnc-dns"] + config.arguments(), environment: env, options: opts)
            Trace.mark("dns server spawned")
            guard let started = RecordedProcess.started(pid) else { return nil }
            try FileSystem.writeReplacing(Array(started.text.utf8), to: pidfile, mode: 0o644)
            Trace.mark("dns server started")
            return gateway
        } catch {
            // Port 53 of the gateway taken (another DNS server on 0.0.0.0 without SO_REUSEADDR),
            // or no helper: the container falls back to the host's resolvers and hosts file.
            return nil
        }
    }

    /// Stops the cnc-dns of every network no live container is attached to (and of networks
    /// that no longer exist).
    func stopUnusedResolvers(live: [AttachmentRecord]) {
        guard FileSystem.isDirectory(paths.dns), let files = try? FileSystem.listDirectory(paths.dns) else { return }
        let used = Set(live.flatMap { $0.attachments.map { String($0.networkID.prefix(16)) } })
        for file in files where file.hasSuffix(".pid") && !used.contains(String(file.dropLast(4))) {
            stopResolver(pidfile: paths.dns + "/" + file)
        }
    }

    /// Removes the pidfile (a resolver that misses the signal ends by itself when it sees that)
    /// and terminates the recorded process if it is still the one that was started.
    func stopResolver(pidfile: String) {
        let recorded = (try? FileSystem.readText(pidfile)).flatMap(RecordedProcess.parse)
        try? FileSystem.remove(pidfile)
        Trace.mark("dns server stops")
        recorded?.terminate()
        Trace.mark("dns server stopped")
    }
}
