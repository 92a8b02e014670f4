/// Where networking state lives under a state root.
///
///     <root>/networks/lock                       flock: one mutating network operation at a time
///     <root>/networks/defs/<name>.json            network definitions (durable writes)
///     <root>/networks/leases/<network id>/<ip>    IPAM leases, claimed with O_EXCL; content: container ID
///     <root>/networks/leases/<network id>/next    where the round-robin search for a free address starts
///     <root>/networks/containers/<id>/            attachment.json, hosts, resolv.conf of a container
///     <root>/networks/cni/<network>.conflist      generated or user conflists
///     <root>/networks/cni/results/                cached ADD results (prevResult for CHECK/DEL), like libcni
///     <root>/networks/cni/ipam/                   host-local IPAM data of CNI networks
///     <root>/networks/dns/records                 what cnc-dns answers (DNSRecords), replaced by rename
///     <root>/networks/dns/<network id>.pid        the network's cnc-dns: "PID STARTTIME"
public struct NetworkPaths: Sendable {
    public let root: String
    public let base: String

    public init(root: String) {
        self.root = root
        base = root + "/networks"
    }

    public var defs: String { base + "/defs" }
    public func def(_ name: String) -> String { defs + "/\(name).json" }
    public var leases: String { base + "/leases" }
    public func leases(network id: String) -> String { leases + "/" + String(id.prefix(16)) }
    public var containers: String { base + "/containers" }
    public func container(_ id: String) -> String { containers + "/" + id }
    public func record(_ id: String) -> String { container(id) + "/attachment.json" }
    public func hosts(_ id: String) -> String { container(id) + "/hosts" }
    public func resolvConf(_ id: String) -> String { container(id) + "/resolv.conf" }
    public var cni: String { base + "/cni" }
    public func conflist(_ network: String) -> String { cni + "/\(network).conflist" }
    public var cniResults: String { cni + "/results" }
    public var cniIPAM: String { cni + "/ipam" }
    public var dns: String { base + "/dns" }
    public var dnsRecords: String { dns + "/records" }
    public func dnsPidfile(network id: String) -> String { dns + "/" + String(id.prefix(16)) + ".pid" }
}
