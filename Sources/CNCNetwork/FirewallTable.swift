import CNCCore

/// The text of cnc's own nftables table (one per state root): NAT for egress, DNAT maps for
/// published ports, localhost publishing, hairpin, isolation between networks and `internal`
/// networks. Pure, so the rules are unit-tested as text and applied by `Nftables`.
///
/// Published ports are elements of four maps (per protocol: on one host address / on every
/// host address), so publishing a container's ports is one element insert in one transaction,
/// never a rule change. Per-network rules are regenerated as a whole (flush + add, one
/// transaction) when a network is created or removed, which is rare and keeps them idempotent.
public struct FirewallTable: Sendable, Equatable {
    public var name: String

    public init(name: String) { self.name = name }

    /// "cnc" for the default root; "cnc_<hash>" for any other root, so isolated roots (tests)
    /// never share a table.
    public static func forRoot(_ root: String, isDefault: Bool) -> FirewallTable {
        isDefault ? FirewallTable(name: "cnc") : FirewallTable(name: "cnc_" + Self.tag(root))
    }

    /// 8 hex digits of FNV-1a over `text`: a stable short tag for names.
    public static func tag(_ text: String) -> String {
        var h: UInt32 = 2166136261
        for b in text.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    static func mapName(_ proto: PortProtocol, anyAddress: Bool) -> String {
        "pub_\(proto.rawValue)_\(anyAddress ? "any" : "ip")"
    }

    /// The table with its maps and base chains. Every statement is an `add` of a named object,
    /// so running it again is harmless; the rule-bearing chains are flushed first.
    public func baseDefinition() -> String {
        var s = "add table ip \(name)\n"
        for p in PortProtocol.publishable {
            s += "add map ip \(name) \(Self.mapName(p, anyAddress: false)) { type ipv4_addr . inet_service : ipv4_addr . inet_service; }\n"
            s += "add map ip \(name) \(Self.mapName(p, anyAddress: true)) { type inet_service : ipv4_addr . inet_service; }\n"
        }
        s += "add chain ip \(name) prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
        s += "add chain ip \(name) output { type nat hook output priority -100; policy accept; }\n"
        s += "add chain ip \(name) publish\n"
        s += "add chain ip \(name) postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
        s += "add chain ip \(name) forward { type filter hook forward priority filter; policy accept; }\n"
        s += "flush chain ip \(name) prerouting\n"
        s += "flush chain ip \(name) output\n"
        s += "flush chain ip \(name) publish\n"
        s += "add rule ip \(name) prerouting fib daddr type local jump publish\n"
        s += "add rule ip \(name) output fib daddr type local jump publish\n"
        for p in PortProtocol.publishable {
            let r = p.rawValue
            s += "add rule ip \(name) publish meta l4proto \(r) dnat ip to ip daddr . \(r) dport map @\(Self.mapName(p, anyAddress: false))\n"
            s += "add rule ip \(name) publish meta l4proto \(r) dnat ip to \(r) dport map @\(Self.mapName(p, anyAddress: true))\n"
        }
        return s
    }

    /// What the per-network rules need to know about a network.
    public struct NetworkRules: Sendable, Equatable {
        public var bridge: String
        public var subnet: IPv4Subnet
        public var isInternal: Bool
        public init(bridge: String, subnet: IPv4Subnet, isInternal: Bool) {
            self.bridge = bridge
            self.subnet = subnet
            self.isInternal = isInternal
        }
    }

    /// Replaces the per-network rules of postrouting and forward. Rules into a network come
    /// before rules out of one, so a network's `accept` of its own egress can never let
    /// traffic into another network (isolation).
    public func networkRules(_ networks: [NetworkRules]) -> String {
        var s = "flush chain ip \(name) postrouting\nflush chain ip \(name) forward\n"
        let nets = networks.sorted { $0.bridge < $1.bridge }
        for n in nets {
            let br = Self.quote(n.bridge)
            if !n.isInternal {
                s += "add rule ip \(name) postrouting ip saddr \(n.subnet) oifname != \(br) masquerade\n"
            }
            // Localhost publishing: 127/8 sources are rewritten to the bridge address.
            s += "add rule ip \(name) postrouting oifname \(br) ip saddr 127.0.0.0/8 masquerade\n"
            // Hairpin: a container reaching a published port of its own network through a host
            // address must see replies come back through the host.
            s += "add rule ip \(name) postrouting oifname \(br) ip saddr \(n.subnet) ct status dnat masquerade\n"
        }
        for n in nets {
            let br = Self.quote(n.bridge)
            s += "add rule ip \(name) forward oifname \(br) iifname \(br) accept\n"
            if n.isInternal {
                s += "add rule ip \(name) forward oifname \(br) drop\n"
            } else {
                s += "add rule ip \(name) forward oifname \(br) ct state established,related accept\n"
                s += "add rule ip \(name) forward oifname \(br) ct status dnat accept\n"
                s += "add rule ip \(name) forward oifname \(br) drop\n"
            }
        }
        for n in nets {
            let br = Self.quote(n.bridge)
            s += "add rule ip \(name) forward iifname \(br) \(n.isInternal ? "drop" : "accept")\n"
        }
        return s
    }

    /// Adds (or with `delete`, removes) the map elements of `ports` towards `address`.
    public func portElements(_ ports: [PublishedPort], to address: IPv4Address, delete: Bool = false) -> String {
        var s = ""
        for p in ports {
            let verb = delete ? "delete" : "add"
            let target = "\(address) . \(p.containerPort)"
            if let ip = p.hostIP {
                let key = "\(ip) . \(p.hostPort)"
                s += "\(verb) element ip \(name) \(Self.mapName(p.proto, anyAddress: false)) { \(key)\(delete ? "" : " : " + target) }\n"
            } else {
                s += "\(verb) element ip \(name) \(Self.mapName(p.proto, anyAddress: true)) { \(p.hostPort)\(delete ? "" : " : " + target) }\n"
            }
        }
        return s
    }

    public func deleteTable() -> String { "delete table ip \(name)\n" }

    /// nft string literal for an interface name (names are validated to [a-zA-Z0-9_.-]).
    static func quote(_ s: String) -> String { "\"\(s)\"" }
}
