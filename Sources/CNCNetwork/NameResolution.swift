import CNCCore

/// Renders a container's /etc/hosts and /etc/resolv.conf.
///
/// Containers on user networks resolve each other through their network's DNS server
/// (cnc-dns, see NetworkManager+DNS); as in Docker, a hosts file lists localhost, `--add-host`
/// entries and the container's own hostname, never its peers (Docker's default bridge resolves
/// no peers at all). Only networks cnc serves no DNS on (the CNI drivers: macvlan, ipvlan,
/// cni) list their peers, rewritten in place whenever one joins or leaves.
public enum NameResolution {
    public struct Entry: Sendable, Equatable {
        public var address: IPv4Address
        public var names: [String]
        public init(address: IPv4Address, names: [String]) {
            self.address = address
            self.names = names
        }
    }

    /// What Docker's hosts files start with (libnetwork's etchosts defaults).
    public static let localhostLines = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
        + "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

    /// /etc/hosts in Docker's order: localhost, `extra` (`--add-host`, each as given), the
    /// container's hostname at its first address; then `peers` (networks without cnc-dns only),
    /// each name once.
    public static func hosts(hostname: String?, own: [Entry], peers: [Entry], extra: [HostEntry]) -> String {
        var s = localhostLines
        for e in extra { s += "\(e.address)\t\(e.name)\n" }
        var seen: Set<String> = ["localhost"]
        func line(_ address: IPv4Address, _ names: [String]) {
            let fresh = names.filter { !$0.isEmpty && seen.insert($0).inserted }
            if !fresh.isEmpty { s += "\(address)\t\(fresh.joined(separator: " "))\n" }
        }
        if let first = own.first, let hostname { line(first.address, [hostname]) }
        for e in peers.sorted(by: { ($0.address, $0.names.first ?? "") < ($1.address, $1.names.first ?? "") }) {
            line(e.address, e.names)
        }
        return s
    }

    /// /etc/resolv.conf from the host's file: nameservers that a container can reach (no
    /// 127/8 — that is the container's own loopback), replaced by `dns` when given; search and
    /// options from the host unless `search`/`options` are given. With no usable nameserver
    /// left, Docker's fallback (8.8.8.8, 8.8.4.4).
    ///
    /// With an `embedded` server (cnc-dns on a user network) that is the only nameserver, as
    /// Docker's 127.0.0.11 is: `dns` servers are where it forwards to, not resolv.conf lines;
    /// and `ndots:0` is added unless an ndots option is given (Docker's embedded-server default:
    /// a bare name is asked as is first, so the server answers container names directly).
    public static func resolvConf(host: String, dns: [IPv4Address], search: [String], options: [String],
                                  embedded: IPv4Address? = nil) -> String {
        var servers: [String] = []
        var hostSearch: [String] = []
        var hostOptions: [String] = []
        for raw in host.split(separator: "\n") {
            let f = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = f.first, !key.hasPrefix("#"), !key.hasPrefix(";") else { continue }
            switch key {
            case "nameserver" where f.count > 1:
                if let a = IPv4Address(f[1]), a.isLoopback { continue }
                if f[1] == "::1" { continue }
                servers.append(f[1])
            case "search", "domain": hostSearch = Array(f.dropFirst())
            case "options": hostOptions += f.dropFirst()
            default: continue
            }
        }
        if !dns.isEmpty { servers = dns.map(\.description) }
        if servers.isEmpty { servers = ["8.8.8.8", "8.8.4.4"] }
        var opts = options.isEmpty ? hostOptions : options
        if let embedded {
            servers = [embedded.description]
            if !opts.contains(where: { $0.hasPrefix("ndots:") }) { opts.append("ndots:0") }
        }
        var s = ""
        let searchList = search.isEmpty ? hostSearch : search
        if !searchList.isEmpty { s += "search \(searchList.joined(separator: " "))\n" }
        for n in servers { s += "nameserver \(n)\n" }
        if !opts.isEmpty { s += "options \(opts.joined(separator: " "))\n" }
        return s
    }
}
