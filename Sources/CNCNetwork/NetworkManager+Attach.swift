import CNCCore
import CNCSystem
import Foundation

extension NetworkManager {
    /// Joins the container whose network namespace is `netns` to the requested networks
    /// (the default network when `requests` is empty): addresses, interfaces, routes, published
    /// ports, and its hosts and resolv.conf files. Everything is undone if a step fails.
    public func attach(container: ContainerID, netns: NetnsReference, requests: [NetworkAttachmentRequest],
                       options: ContainerNetworkOptions = ContainerNetworkOptions()) throws -> AttachResult {
        try locked(attaching: true) {
            if let old = try? decode(AttachmentRecord.self, paths.record(container.rawValue)) {
                // A restarted container: its old namespace is gone, so is what it held.
                guard !isAlive(old) else {
                    throw CNCError(.alreadyExists, "container \(container.short) is already attached; detach it first")
                }
                try? release(old, old.attachments)
                try? FileSystem.removeTree(paths.container(container.rawValue))
            }
            let reqs = requests.isEmpty ? [NetworkAttachmentRequest(network: Self.defaultNetworkName)] : requests
            return try attachLocked(container: container, netns: netns, requests: reqs, options: options, existing: nil)
        }
    }

    /// Joins an attached (running) container to one more network (`cnc network connect`).
    public func connect(container: ContainerID, request: NetworkAttachmentRequest) throws -> AttachResult {
        try locked(attaching: true) {
            guard let record = try? decode(AttachmentRecord.self, paths.record(container.rawValue)) else {
                throw CNCError(.notFound, "container \(container.short) has no network namespace cnc knows (is it running?)")
            }
            guard isAlive(record) else { throw CNCError(.conflict, "container \(container.short) is not running") }
            let net = try network(request.network)
            if record.attachments.contains(where: { $0.networkID == net.id }) {
                throw CNCError(.alreadyExists, "container \(container.short) is already connected to network \(net.name)")
            }
            return try attachLocked(container: container, netns: .path(record.netnsPath), requests: [request],
                                    options: record.options, existing: record)
        }
    }

    /// Removes every network attachment of a container: veths, published ports, leases,
    /// CNI DEL, its hosts files; and updates its peers' hosts files. Missing pieces are fine.
    /// `netnsPath`: only the attachment of that namespace (the monitor releasing the one of an
    /// init that exited leaves alone whatever a later start attached).
    public func detach(container: ContainerID, netnsPath: String? = nil) throws {
        // Nothing to release (its stop released it already, or it never joined): no lock. A
        // removal after a stop found the lock held by the other removals and the networks'.
        guard FileSystem.exists(paths.container(container.rawValue)) else { return }
        var dying: [String] = []
        // A veth younger than ~20-50 ms when its namespace dies takes the kernel 10-40 ms to
        // go with it, 1-2 ms otherwise (the same with `ip` and `unshare` alone): /bin/true pays it.
        defer { awaitGone(dying); Trace.mark("detach: veths gone") }
        try locked {
            let dir = paths.container(container.rawValue)
            guard let record = try? decode(AttachmentRecord.self, paths.record(container.rawValue)) else {
                if netnsPath == nil, FileSystem.exists(dir) { try FileSystem.removeTree(dir) }
                return
            }
            if let netnsPath, record.netnsPath != netnsPath { return }
            try release(record, record.attachments, dying: &dying)
            Trace.mark("detach: released; dying veths: \(dying)")
            try FileSystem.removeTree(dir)
            let live = try records()
            try writeDNSRecords(live)
            stopUnusedResolvers(live: live)
            try refreshPeers(of: record, excluding: container, all: live)
        }
    }

    /// Waits, outside the lock, for host veths whose namespace is gone to go with it (the
    /// kernel's netns cleanup is asynchronous and batched: concurrent releases wait for one
    /// pass, where deleting each would cost an RCU grace period under the lock); what is still
    /// listed after a second is deleted. No veth outlives the command that released it.
    func awaitGone(_ names: [String]) {
        guard !names.isEmpty else { return }
        // Inside a batch: the batch's end waits for them all at once.
        if dyingVeths.collect(names) { return }
        let deadline = Processes.monotonicNanos() + 1_000_000_000
        var left = names
        while !left.isEmpty && Processes.monotonicNanos() < deadline {
            left = left.filter { FileSystem.exists("/sys/class/net/" + $0) }
            if !left.isEmpty { usleep(2000) }
        }
        for name in left { _ = try? netlink().deleteLink(name: name) }
    }

    /// Opens a batch of detaches (an app's stops and removals): until the matching
    /// `endVethBatch`, the host veths their releases would each wait for are collected instead,
    /// and `endVethBatch` waits for them all at once: one wait for the kernel's batched netns
    /// cleanup instead of one per container, and a release no longer holds its caller (a start
    /// slot, a replacement's start) while the kernel catches up. The guarantee stays: no veth
    /// outlives the batch. Batches nest; the outermost end waits.
    public func beginVethBatch() { dyingVeths.begin() }

    /// True when `name` was waiting in an open batch (no longer: the caller deletes it).
    func takeDying(_ name: String) -> Bool { dyingVeths.takeFirst { $0 == name } }

    /// Closes a batch (`beginVethBatch`); the outermost waits for what the batch collected
    /// (deleting what is still listed after a second). Blocks: call it off the cooperative pool.
    public func endVethBatch() {
        awaitGone(dyingVeths.end())
    }

    /// Removes one network from an attached container (`cnc network disconnect`).
    public func disconnect(container: ContainerID, network name: String) throws {
        try locked {
            guard var record = try? decode(AttachmentRecord.self, paths.record(container.rawValue)) else {
                throw CNCError(.notFound, "container \(container.short) is not attached to any network")
            }
            let net = try network(name)
            let gone = record.attachments.filter { $0.networkID == net.id }
            guard !gone.isEmpty else { throw CNCError(.notFound, "container \(container.short) is not connected to network \(net.name)") }
            try release(record, gone)
            let before = record
            record.attachments.removeAll { $0.networkID == net.id }
            if record.attachments.isEmpty {
                try FileSystem.removeTree(paths.container(container.rawValue))
            } else {
                try writeRecord(record)
            }
            let live = try records()
            try writeDNSRecords(live)
            stopUnusedResolvers(live: live)
            if !record.attachments.isEmpty { try writeNameFiles(record, all: live, dnsServer: dnsServer(for: record)) }
            try refreshPeers(of: before, excluding: container, all: live)
        }
    }

    // MARK: - the work

    func attachLocked(container: ContainerID, netns: NetnsReference, requests: [NetworkAttachmentRequest],
                      options: ContainerNetworkOptions, existing: AttachmentRecord?) throws -> AttachResult {
        var nets: [NetworkConfig] = []
        for r in requests {
            if let n = try? network(r.network) { nets.append(n); continue }
            if r.network == Self.defaultNetworkName {
                var o = NetworkCreateOptions(name: Self.defaultNetworkName)
                o.ifNotExists = true
                nets.append(try createLocked(o))
                continue
            }
            throw CNCError(.notFound, "network \(r.network) not found")
        }
        // Records whose namespace is gone (a container that died without a detach, a cnc
        // killed mid-start) are released here, so their leases, ports and names never block
        // this start: the next command sweeps.
        var others: [AttachmentRecord] = []
        var releasedDead = false
        for r in try records() where r.container != container {
            if isAlive(r) { others.append(r); continue }
            try? release(r, r.attachments)
            try? FileSystem.removeTree(paths.container(r.container.rawValue))
            releasedDead = true
        }
        let ports = try resolvePorts(requests.map(\.ports), against: others)

        let nsFD = try NamespaceFile.open(netns.path)
        defer { NamespaceFile.close(nsFD) }
        var record = existing ?? AttachmentRecord(
            container: container, netnsPath: netns.path, netnsInode: NamespaceFile.inode(netns.path),
            pidStartTime: { if case .pid(let p) = netns { return ProcessTable.startTime(p) } else { return nil } }(),
            options: options, attachments: [])
        let firstIndex = record.attachments.count
        var planned: [Attachment] = []
        var hasDefaultRoute = record.attachments.contains { $0.gateway != nil && $0.driver == .bridge }
        do {
            // Claim addresses and write down the plan before touching the kernel.
            for (i, (r, net)) in zip(requests, nets).enumerated() {
                let idx = firstIndex + i
                let names = ([options.name].compactMap { $0 } + r.aliases + [container.short]).reduce(into: [String]()) {
                    if !$0.contains($1) { $0.append($1) }
                }
                var a = Attachment(network: net.name, networkID: net.id, driver: net.driver, interface: "eth\(idx)",
                                   hostInterface: nil, address: IPv4Address(0), prefixLength: net.subnet?.prefixLength ?? 0,
                                   gateway: net.internal ? nil : net.gateway, names: names,
                                   ports: net.internal ? [] : ports[i])
                if net.driver == .bridge, let subnet = net.subnet {
                    a.hostInterface = "veth" + String(container.rawValue.prefix(10)) + String(idx, radix: 36)
                    a.address = try IPAM(directory: paths.leases(network: net.id), subnet: subnet, gateway: net.gateway)
                        .claim(for: container.rawValue, requested: r.ip)
                }
                planned.append(a)
            }
            record.attachments += planned
            try writeRecord(record)

            var nsLink: RouteNetlink?
            for (i, net) in nets.enumerated() {
                switch net.driver {
                case .bridge:
                    if nsLink == nil {
                        nsLink = RouteNetlink(socket: try NetlinkSocket(netnsFD: nsFD, label: netns.path))
                        try nsLink?.setUp(index: 1, name: "lo") // lo is always ifindex 1 in a new netns
                    }
                    guard let inner = nsLink else { continue }
                    try plugBridge(net, &planned[i], nsFD: nsFD, inner: inner, defaultRoute: !hasDefaultRoute)
                    if planned[i].gateway != nil { hasDefaultRoute = true }
                case .macvlan, .ipvlan, .cni:
                    let result = try cniAdd(net, container: container, netnsPath: netns.path, interface: planned[i].interface,
                                            ip: requests[i].ip, ports: planned[i].ports)
                    planned[i].address = result.address
                    planned[i].prefixLength = result.prefixLength
                    planned[i].gateway = result.gateway
                }
                try applyPorts(planned[i].ports, to: planned[i].address, delete: false)
            }
            record.attachments = Array(record.attachments.prefix(firstIndex)) + planned
            try writeRecord(record)
        } catch {
            try? release(record, planned, announce: false)
            if let existing { try? writeRecord(existing) } else { try? FileSystem.removeTree(paths.container(container.rawValue)) }
            throw CNCError.failed("attach", "container \(container.short) to network \(nets.map(\.name).joined(separator: ","))", cause: error)
        }
        for a in planned { recordEvent("connect", id: a.networkID, name: a.network, driver: a.driver, container: container) }
        let all = others + [record]
        // The records first: cnc-dns (started next if need be) answers from them at once.
        try writeDNSRecords(all)
        if releasedDead { stopUnusedResolvers(live: all) }
        let (hosts, resolv) = try writeNameFiles(record, all: all, dnsServer: dnsServer(for: record, networks: nets))
        try refreshPeers(of: record, excluding: container, all: all)
        return AttachResult(attachments: record.attachments, hostsPath: hostsPath(record),
                            resolvConfPath: record.options.resolvConfPath ?? paths.resolvConf(container.rawValue), hosts: hosts, resolvConf: resolv)
    }

    /// Creates the veth pair into the bridge and configures the container end.
    func plugBridge(_ net: NetworkConfig, _ a: inout Attachment, nsFD: Int32, inner: RouteNetlink, defaultRoute: Bool) throws {
        let bridgeIndex = try ensureBridge(net)
        let nl = try netlink()
        guard let hostName = a.hostInterface else { return }
        // The same container started again inside a batch (`beginVethBatch`): its old host veth
        // (the name is the container's) may still be waiting for the kernel; it goes now.
        if takeDying(hostName) { _ = try? nl.deleteLink(name: hostName) }
        try nl.createVethPair(hostName: hostName, peerName: a.interface, peerNetnsFD: nsFD, masterIndex: bridgeIndex)
        if let host = try nl.link(named: hostName) {
            try nl.setHairpin(index: host.index, name: hostName)
        }
        guard let link = try inner.link(named: a.interface) else {
            throw CNCError(.system, "interface \(a.interface) did not appear in the container's namespace")
        }
        try inner.addAddress(index: link.index, address: a.address.bytes, prefixLength: a.prefixLength, name: a.interface)
        try inner.setUp(index: link.index, name: a.interface)
        if let gw = a.gateway, defaultRoute {
            try inner.addRoute(destination: [0, 0, 0, 0], prefixLength: 0, gateway: gw.bytes, outputIndex: link.index)
        }
    }

    /// Undoes `attachments` of `record`: host veths (which takes the container end along),
    /// published ports, leases, CNI DEL. Best effort per piece; the first error is rethrown.
    /// `announce`: record docker's `disconnect` event for each (not for an attach's own undo,
    /// which announced no `connect`).
    func release(_ record: AttachmentRecord, _ attachments: [Attachment], announce: Bool = true) throws {
        var dying: [String] = []
        try release(record, attachments, announce: announce, dying: &dying)
        for name in dying { _ = try? netlink().deleteLink(name: name) }
    }

    /// As above; a host veth whose namespace is gone but which is still listed (the kernel's
    /// cleanup has not run yet) is added to `dying` for the caller to wait for (`awaitGone`).
    func release(_ record: AttachmentRecord, _ attachments: [Attachment], announce: Bool = true, dying: inout [String]) throws {
        if announce {
            for a in attachments { recordEvent("disconnect", id: a.networkID, name: a.network, driver: a.driver, container: record.container) }
        }
        var firstError: (any Error)?
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch { if firstError == nil { firstError = error } }
        }
        // Deleting a veth costs the kernel an RCU grace period (~15 ms here). When the
        // container's namespace is already gone (the usual case at removal), the kernel destroys
        // the pair with it, so only a live namespace pays for the delete. That destruction is
        // asynchronous (the kernel's netns cleanup work, slow on a loaded host): a host end still
        // listed goes to `dying`. A veth kept alive by a namespace held elsewhere is found by the
        // sweep.
        let live = isAlive(record)
        for a in attachments {
            switch a.driver {
            case .bridge:
                if let h = a.hostInterface {
                    if live { attempt { try netlink().deleteLink(name: h) } } else if FileSystem.exists("/sys/class/net/" + h) { dying.append(h) }
                }
                attempt { try applyPorts(a.ports, to: a.address, delete: true) }
                if let net = try? network(a.network), net.id == a.networkID, let subnet = net.subnet {
                    let ipam = IPAM(directory: paths.leases(network: net.id), subnet: subnet, gateway: net.gateway)
                    if let holder = try? ipam.leases()[a.address], holder == record.container.rawValue || holder.isEmpty {
                        attempt { try ipam.release(a.address) }
                    }
                }
            case .macvlan, .ipvlan, .cni:
                attempt { try applyPorts(a.ports, to: a.address, delete: true) }
                if let net = try? network(a.network) {
                    attempt { try cniDel(net, container: record.container, netnsPath: live ? record.netnsPath : "", interface: a.interface) }
                }
            }
        }
        if let firstError { throw firstError }
    }

    /// Chooses host ports for "-p 80" / "-P" and rejects conflicts with other containers of this
    /// root, with each other, and with host sockets — before anything is created.
    func resolvePorts(_ perNetwork: [[PublishedPort]], against others: [AttachmentRecord]) throws -> [[PublishedPort]] {
        var taken: [(PublishedPort, String)] = others.flatMap { r in
            r.attachments.flatMap { a in a.ports.map { ($0, r.options.name ?? r.container.short) } }
        }
        var out: [[PublishedPort]] = []
        for ports in perNetwork {
            var chosen: [PublishedPort] = []
            for p in ports {
                let p = try PortProbe.withHostPort(p) { p in taken.contains { $0.0.conflicts(with: p) } }
                if let clash = taken.first(where: { $0.0.conflicts(with: p) }) {
                    throw CNCError(.conflict, "port \(p.hostPort)/\(p.proto.rawValue) on \(p.hostIP?.description ?? "0.0.0.0") is already allocated",
                                   context: ["container": clash.1])
                }
                if !PortProbe.isFree(address: p.hostIP?.bytes ?? [0, 0, 0, 0], port: p.hostPort, udp: p.proto == .udp) {
                    throw CNCError(.conflict, "port \(p.hostPort)/\(p.proto.rawValue) on \(p.hostIP?.description ?? "0.0.0.0") is in use by a host process")
                }
                taken.append((p, "this container"))
                chosen.append(p)
            }
            out.append(chosen)
        }
        return out
    }

    // MARK: - records and name files

    func records() throws -> [AttachmentRecord] {
        guard FileSystem.isDirectory(paths.containers) else { return [] }
        return try FileSystem.listDirectory(paths.containers).compactMap { id in
            try? decode(AttachmentRecord.self, paths.record(id))
        }
    }

    func writeRecord(_ r: AttachmentRecord) throws {
        // Spread over the disk as the containers' own directories are (createSpreadDirectory).
        try FileSystem.createSpreadDirectory(paths.containers, mode: 0o755)
        try FileSystem.createDirectory(paths.container(r.container.rawValue), mode: 0o755)
        // Plain JSONEncoder: CanonicalJSON's encode-decode-reencode costs milliseconds on this
        // path (every container start), and nothing hashes these bytes.
        let bytes: [UInt8]
        do { bytes = Array(try JSONEncoder().encode(r)) } catch {
            throw CNCError.failed("encode", "attachment record of \(r.container.short)", cause: error)
        }
        try FileSystem.writeReplacing(bytes, to: paths.record(r.container.rawValue), mode: 0o600)
    }

    /// True while the namespace the record names still exists and is the same one.
    func isAlive(_ r: AttachmentRecord) -> Bool {
        guard let inode = NamespaceFile.inode(r.netnsPath), inode == r.netnsInode || r.netnsInode == nil else { return false }
        if r.netnsPath.hasPrefix("/proc/"), let start = r.pidStartTime {
            let pid = r.netnsPath.split(separator: "/").dropFirst().first.flatMap { Int32($0) }
            return pid.flatMap(ProcessTable.startTime) == start
        }
        return true
    }

    /// Writes the container's hosts (in place, so bind mounts follow) and resolv.conf, which
    /// names `dnsServer` (cnc-dns) when the container has one, else the host's resolvers.
    @discardableResult
    func writeNameFiles(_ r: AttachmentRecord, all: [AttachmentRecord], dnsServer: IPv4Address?) throws -> (String, String) {
        let hosts = hostsContent(for: r, all: all)
        let hostResolv = (try? FileSystem.readText("/etc/resolv.conf")) ?? ""
        let resolv = NameResolution.resolvConf(host: hostResolv, dns: r.options.dns, search: r.options.dnsSearch,
                                               options: r.options.dnsOptions, embedded: dnsServer)
        let dir = paths.container(r.container.rawValue)
        try FileSystem.createDirectory(dir, mode: 0o755)
        try FileSystem.rewriteInPlace(Array(hosts.utf8), at: hostsPath(r))
        try FileSystem.rewriteInPlace(Array(resolv.utf8), at: r.options.resolvConfPath ?? paths.resolvConf(r.container.rawValue))
        return (hosts, resolv)
    }

    func hostsPath(_ r: AttachmentRecord) -> String { r.options.hostsPath ?? paths.hosts(r.container.rawValue) }

    func hostsContent(for r: AttachmentRecord, all: [AttachmentRecord]) -> String {
        let mine = Set(r.attachments.filter(Self.listsPeersInHosts).map(\.networkID))
        let own = r.attachments.map { NameResolution.Entry(address: $0.address, names: $0.names) }
        let peers = all.filter { $0.container != r.container }.flatMap { p in
            p.attachments.filter { mine.contains($0.networkID) }.map { NameResolution.Entry(address: $0.address, names: $0.names) }
        }
        return NameResolution.hosts(hostname: r.options.hostname, own: own, peers: peers, extra: r.options.extraHosts)
    }

    /// Peers are written into hosts files only on networks cnc-dns does not serve (see
    /// NameResolution): the CNI drivers'.
    static func listsPeersInHosts(_ a: Attachment) -> Bool { a.driver != .bridge }

    /// Rewrites the hosts files of containers sharing a network that lists peers with `changed`.
    func refreshPeers(of changed: AttachmentRecord, excluding: ContainerID, all given: [AttachmentRecord]? = nil) throws {
        let nets = Set(changed.attachments.filter(Self.listsPeersInHosts).map(\.networkID))
        if nets.isEmpty { return }
        let all = try given ?? records()
        for p in all where p.container != excluding && p.attachments.contains(where: { nets.contains($0.networkID) }) {
            let text = hostsContent(for: p, all: all)
            let path = hostsPath(p)
            guard FileSystem.exists(path) else { continue }
            if (try? FileSystem.readText(path)) == text { continue }
            try? FileSystem.rewriteInPlace(Array(text.utf8), at: path)
        }
    }
}
