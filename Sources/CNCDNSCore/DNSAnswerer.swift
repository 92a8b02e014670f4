/// What cnc-dns does with one query: pure, so every rule is a unit test.
///
/// - A name known on the client's networks (container name, alias, service name, short ID,
///   also as NAME.NETWORK): A records (several for replicas or a shared alias, in a shuffled
///   order as Docker's), NODATA for every other type (AAAA, MX...) — never NXDOMAIN and never
///   forwarded, so a client asking A and AAAA gets a clean answer for both.
/// - PTR of a known address: NAME.NETWORK.
/// - Anything else is forwarded: to the client container's own servers (`--dns`) if it has
///   some, else to the resolver's upstreams. An internal network forwards nothing
///   (SERVFAIL), as Docker's server does not reach outside from one.
public struct DNSAnswerer: Sendable {
    public var network: String
    public var forwards: Bool
    public var ttl: UInt32

    public init(network: String, forwards: Bool, ttl: UInt32 = DNSReply.defaultTTL) {
        self.network = network
        self.forwards = forwards
        self.ttl = ttl
    }

    public enum Decision: Sendable, Equatable {
        case reply([UInt8])
        /// Forward to these servers (nil: the resolver's own upstreams).
        case forward([DNSUpstream]?)
    }

    /// `shuffle` orders several addresses (random in the server, fixed in tests).
    public func decide(_ q: DNSQuery, client: UInt32, records: DNSRecords, maxSize: Int,
                       shuffle: ([UInt32]) -> [UInt32] = { $0 }) -> Decision {
        if q.qclass == 1 || q.qclass == DNSType.any, let name = q.lowercasedName, !name.isEmpty {
            let nets = records.networks(client: client, on: network)
            if q.type == DNSType.ptr, let address = IPv4.parseReverse(name) {
                if let target = records.name(of: address, in: nets) {
                    return .reply(DNSReply.answer(q, records: [.ptr(target)], ttl: ttl, maxSize: maxSize))
                }
            } else if let addresses = records.addresses(of: name, in: nets) {
                let wanted = q.type == DNSType.a || q.type == DNSType.any
                let rr = wanted ? shuffle(addresses).map(DNSReply.Record.a) : []
                return .reply(DNSReply.answer(q, records: rr, ttl: ttl, maxSize: maxSize))
            }
        }
        guard forwards else { return .reply(DNSReply.answer(q, rcode: DNSRcode.serverFailure, records: [], maxSize: maxSize)) }
        return .forward(records.container(client: client, on: network).flatMap { records.upstreams[$0] })
    }

    /// The largest reply a client accepts: 512 bytes over UDP unless EDNS says more (at most
    /// 4096 here), 65535 over TCP.
    public static func maxSize(for q: DNSQuery, tcp: Bool) -> Int {
        tcp ? 65535 : min(4096, max(512, q.udpPayloadSize ?? 512))
    }
}
