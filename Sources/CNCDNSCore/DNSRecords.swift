/// What cnc-dns knows: the containers on cnc's DNS-serving networks, from one text file per
/// state root (`<root>/networks/dns/records`) that the network code rewrites (rename, so a
/// reader never sees half of it) whenever a container joins, leaves or is replaced. Lines:
///
///     A <network> <IPv4> <container short ID> <name>...   a container's address and names on a network
///     U <container short ID> <IPv4[:port]>...             the container's own upstream servers (--dns)
///
/// Names are matched without regard to case. Both sides use this type (render and parse), so
/// the format lives in one place.
public struct DNSRecords: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var network: String
        public var address: UInt32
        public var container: String
        /// The container's name first, then its aliases (the service name in an app), then its short ID.
        public var names: [String]
        public init(network: String, address: UInt32, container: String, names: [String]) {
            self.network = network
            self.address = address
            self.container = container
            self.names = names
        }
    }

    public var entries: [Entry]
    /// Per container short ID: the upstream servers its queries are forwarded to.
    public var upstreams: [String: [DNSUpstream]]

    public init(entries: [Entry] = [], upstreams: [String: [DNSUpstream]] = [:]) {
        self.entries = entries
        self.upstreams = upstreams
    }

    /// The file's text. Names holding whitespace or control characters are left out (no
    /// container name or alias can be asked for with them).
    public func render() -> String {
        var s = "# cnc-dns records: A network address container names... | U container upstream...\n"
        for e in entries {
            let names = e.names.filter(Self.isWord)
            guard Self.isWord(e.network), Self.isWord(e.container), !names.isEmpty else { continue }
            s += "A \(e.network) \(IPv4.format(e.address)) \(e.container) \(names.joined(separator: " "))\n"
        }
        for (c, servers) in upstreams.sorted(by: { $0.key < $1.key }) where Self.isWord(c) && !servers.isEmpty {
            s += "U \(c) \(servers.map(\.description).joined(separator: " "))\n"
        }
        return s
    }

    /// Reads the text `render` writes; lines it does not understand are skipped.
    public static func parse(_ text: String) -> DNSRecords {
        var r = DNSRecords()
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            guard let kind = f.first else { continue }
            if kind == "A", f.count >= 5, let a = IPv4.parse(f[2]) {
                r.entries.append(Entry(network: f[1], address: a, container: f[3], names: Array(f[4...])))
            } else if kind == "U", f.count >= 3 {
                let servers = f[2...].compactMap(DNSUpstream.parse)
                if !servers.isEmpty { r.upstreams[f[1]] = servers }
            }
        }
        return r
    }

    static func isWord(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
    }

    // MARK: - lookups, from the point of view of a client on `network`

    /// The networks a query from `client` on `network` searches, in order: that network, then
    /// the others its container is attached to (Docker resolves across all of a container's
    /// networks); an unknown client (the host itself) searches only `network`.
    public func networks(client: UInt32, on network: String) -> [String] {
        var out = [network]
        guard let me = entries.first(where: { $0.network == network && $0.address == client })?.container else { return out }
        for e in entries where e.container == me && !out.contains(e.network) { out.append(e.network) }
        return out
    }

    /// The container short ID of `client` on `network`, if it is one.
    public func container(client: UInt32, on network: String) -> String? {
        entries.first(where: { $0.network == network && $0.address == client })?.container
    }

    /// Addresses of `name` (lower case) on the first of `networks` that knows it, also as
    /// `NAME.NETWORK` (Docker's form); nil when none does.
    public func addresses(of name: String, in networks: [String]) -> [UInt32]? {
        for net in networks {
            let found = entries.filter { $0.network == net && $0.names.contains { Self.equalFolded($0, name) } }.map(\.address)
            if !found.isEmpty { return Self.unique(found) }
        }
        for net in networks {
            let suffix = "." + net
            guard name.utf8.count > suffix.utf8.count, Self.hasSuffixFolded(name, suffix) else { continue }
            let short = String(name.utf8.prefix(name.utf8.count - suffix.utf8.count)) ?? ""
            let found = entries.filter { $0.network == net && $0.names.contains { Self.equalFolded($0, short) } }.map(\.address)
            if !found.isEmpty { return Self.unique(found) }
        }
        return nil
    }

    /// The name a PTR query for `address` answers: "NAME.NETWORK", as Docker's does.
    public func name(of address: UInt32, in networks: [String]) -> String? {
        for net in networks {
            if let e = entries.first(where: { $0.network == net && $0.address == address }), let n = e.names.first {
                return n + "." + net
            }
        }
        return nil
    }

    static func unique(_ a: [UInt32]) -> [UInt32] {
        var seen: Set<UInt32> = []
        return a.filter { seen.insert($0).inserted }
    }

    static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5a ? b + 0x20 : b }

    static func equalFolded(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { fold($0) == fold($1) }
    }

    static func hasSuffixFolded(_ s: String, _ suffix: String) -> Bool {
        let tail = s.utf8.suffix(suffix.utf8.count)
        return tail.count == suffix.utf8.count && zip(tail, suffix.utf8).allSatisfy { fold($0) == fold($1) }
    }
}

/// Dotted-quad IPv4 text <-> a host-order UInt32 (a.b.c.d = a<<24 | b<<16 | c<<8 | d).
public enum IPv4 {
    public static func parse(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = UInt32(p), n <= 255 else { return nil }
            v = v << 8 | n
        }
        return v
    }

    public static func format(_ a: UInt32) -> String {
        "\(a >> 24).\(a >> 16 & 0xff).\(a >> 8 & 0xff).\(a & 0xff)"
    }

    /// "4.3.2.1.in-addr.arpa" (lower case, no trailing dot) -> 1.2.3.4.
    public static func parseReverse(_ name: String) -> UInt32? {
        let suffix = ".in-addr.arpa"
        guard name.hasSuffix(suffix) else { return nil }
        let octets = name.dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        return parse(octets.reversed().joined(separator: "."))
    }
}
