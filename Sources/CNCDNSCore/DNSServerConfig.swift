/// cnc-dns's command line. The sockets are inherited, already bound (socket activation):
/// fd 3 is the UDP socket and fd 4 the listening TCP socket on ADDRESS:53, so queries queue
/// in the kernel from the moment the network code bound them, before this process runs.
///
///     cnc-dns --network NAME --address IPv4 --records FILE --pidfile FILE [--internal]
///
/// Environment: `CNC_DNS_UPSTREAM` replaces the host's resolvers (from /etc/resolv.conf)
/// with a list of "IPv4[:port]" ("none": forward nothing) — what tests use to point
/// forwarding at a stub server of their own.
public struct DNSServerConfig: Sendable, Equatable {
    public var network: String
    public var address: UInt32
    public var recordsPath: String
    public var pidfile: String
    public var forwards = true
    public var upstreamOverride: [DNSUpstream]?
    public var resolvConfPath = "/etc/resolv.conf"
    public var udpFD: Int32 = 3
    public var tcpFD: Int32 = 4

    public init(network: String, address: UInt32, recordsPath: String, pidfile: String, forwards: Bool = true) {
        self.network = network
        self.address = address
        self.recordsPath = recordsPath
        self.pidfile = pidfile
        self.forwards = forwards
    }

    public static let usage = "usage: cnc-dns --network NAME --address IPv4 --records FILE --pidfile FILE [--internal]"

    /// nil when the arguments are not what the network code passes.
    public static func parse(_ arguments: [String], upstreamOverride: String?) -> DNSServerConfig? {
        var values: [String: String] = [:]
        var internalNet = false
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--internal" { internalNet = true; i += 1; continue }
            guard ["--network", "--address", "--records", "--pidfile"].contains(a), i + 1 < arguments.count else { return nil }
            values[a] = arguments[i + 1]
            i += 2
        }
        guard let network = values["--network"], let text = values["--address"], let address = IPv4.parse(text),
              let records = values["--records"], let pidfile = values["--pidfile"] else { return nil }
        var c = DNSServerConfig(network: network, address: address, recordsPath: records, pidfile: pidfile, forwards: !internalNet)
        c.upstreamOverride = upstreamOverride.map(DNSUpstream.fromOverride)
        return c
    }

    /// The arguments `parse` reads (argv[0] excluded).
    public func arguments() -> [String] {
        ["--network", network, "--address", IPv4.format(address), "--records", recordsPath, "--pidfile", pidfile]
            + (forwards ? [] : ["--internal"])
    }
}
