/// A server queries are forwarded to: an IPv4 address and port.
public struct DNSUpstream: Sendable, Equatable, CustomStringConvertible {
    public var address: UInt32
    public var port: UInt16

    public init(address: UInt32, port: UInt16 = 53) {
        self.address = address
        self.port = port
    }

    /// "1.2.3.4" or "1.2.3.4:5353".
    public static func parse(_ text: some StringProtocol) -> DNSUpstream? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let a = IPv4.parse(String(parts[0])) else { return nil }
        if parts.count == 2 {
            guard let p = UInt16(parts[1]), p > 0 else { return nil }
            return DNSUpstream(address: a, port: p)
        }
        return DNSUpstream(address: a)
    }

    public var description: String { port == 53 ? IPv4.format(address) : "\(IPv4.format(address)):\(port)" }

    /// Forwarding tries at most this many servers per query, like Docker's embedded server.
    public static let maxServers = 3

    /// The IPv4 `nameserver`s of a resolv.conf text (IPv6 ones are skipped: cnc-dns forwards
    /// over IPv4), at most `maxServers`, minus `excluding` (the resolver's own address).
    public static func fromResolvConf(_ text: String, excluding own: UInt32? = nil) -> [DNSUpstream] {
        var out: [DNSUpstream] = []
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 2, f[0] == "nameserver", let a = IPv4.parse(String(f[1])), a != own else { continue }
            out.append(DNSUpstream(address: a))
        }
        return Array(out.prefix(maxServers))
    }

    /// The `CNC_DNS_UPSTREAM` override: a comma- or space-separated list of "IPv4[:port]".
    /// "none", or text without a valid server, forwards nothing: a mistyped override must
    /// never fall back to the host's resolvers.
    public static func fromOverride(_ text: String) -> [DNSUpstream] {
        Array(text.split(whereSeparator: { $0 == "," || $0 == " " }).compactMap(parse).prefix(maxServers))
    }
}
