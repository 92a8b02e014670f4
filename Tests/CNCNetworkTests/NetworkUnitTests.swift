import CNCCore
@testable import CNCNetwork
import CNCSystem
import Testing

@Suite struct IPv4Tests {
    @Test(arguments: [
        ("10.88.0.1", true), ("255.255.255.255", true), ("0.0.0.0", true),
        ("256.0.0.1", false), ("10.88.0", false), ("10.88.0.01", false), ("a.b.c.d", false), ("", false), ("1..2.3", false),
    ])
    func parsesDottedQuads(_ text: String, _ valid: Bool) {
        #expect((IPv4Address(text) != nil) == valid)
        if valid { #expect(IPv4Address(text)?.description == text) }
    }

    @Test func subnetArithmetic() throws {
        let s = try IPv4Subnet("10.89.3.0/24")
        #expect(s.firstHost.description == "10.89.3.1")
        #expect(s.broadcast.description == "10.89.3.255")
        #expect(s.contains(IPv4Address("10.89.3.77")!))
        #expect(!s.contains(IPv4Address("10.89.4.1")!))
        #expect(s.overlaps(try IPv4Subnet("10.89.0.0/16")))
        #expect(!s.overlaps(try IPv4Subnet("10.89.4.0/24")))
        #expect(!s.isAssignable(s.network) && !s.isAssignable(s.broadcast))
    }

    @Test(arguments: ["10.89.3.1/24", "10.89.3.0/33", "10.89.3.0", "x/24"])
    func rejectsBadSubnets(_ text: String) {
        #expect(throws: CNCError.self) { try IPv4Subnet(text) }
    }
}

@Suite struct PublishedPortTests {
    @Test(arguments: [
        ("8080:80", [PublishedPort(hostPort: 8080, containerPort: 80)]),
        ("127.0.0.1:8080:80/udp", [PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: 8080, containerPort: 80, proto: .udp)]),
        ("80", [PublishedPort(hostPort: 0, containerPort: 80)]),
        ("127.0.0.1::80", [PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: 0, containerPort: 80)]),
        ("8000-8001:80-81", [PublishedPort(hostPort: 8000, containerPort: 80), PublishedPort(hostPort: 8001, containerPort: 81)]),
        ("0.0.0.0:9000:90/tcp", [PublishedPort(hostPort: 9000, containerPort: 90)]),
    ])
    func parsesDockerSyntax(_ text: String, _ want: [PublishedPort]) throws {
        #expect(try PublishedPort.parse(text) == want)
    }

    @Test(arguments: ["", "0:80", "8080:80/sctp", "1.2.3:80:80", "8000-8002:80-81", "a:b", "1:2:3:4"])
    func rejectsBadSpecs(_ text: String) {
        #expect(throws: CNCError.self) { try PublishedPort.parse(text) }
    }

    @Test(arguments: ["[::]:8080:80", "[::1]:8080:80/udp"])
    func refusesIPv6HostAddressesAsNotSupportedYet(_ text: String) {
        #expect { try PublishedPort.parse(text) } throws: { e in
            (e as? CNCError).map { "\($0)".contains("not supported yet: IPv6 host addresses") } ?? false
        }
    }

    @Test func conflicts() {
        let any = PublishedPort(hostPort: 8080, containerPort: 80)
        let lo = PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: 8080, containerPort: 81)
        let other = PublishedPort(hostIP: IPv4Address("127.0.0.2"), hostPort: 8080, containerPort: 81)
        #expect(any.conflicts(with: lo) && lo.conflicts(with: any))
        #expect(!lo.conflicts(with: other))
        #expect(!any.conflicts(with: PublishedPort(hostPort: 8080, containerPort: 80, proto: .udp)))
    }
}

@Suite struct FirewallTableTests {
    @Test func tableNamesArePerRoot() {
        #expect(FirewallTable.forRoot("/var/lib/cnc", isDefault: true).name == "cnc")
        let a = FirewallTable.forRoot("/tmp/a", isDefault: false).name, b = FirewallTable.forRoot("/tmp/b", isDefault: false).name
        #expect(a != b && a.hasPrefix("cnc_") && a.count == 12)
    }

    @Test func portElementsAreOneLinePerPort() throws {
        let t = FirewallTable(name: "cnc")
        let ports = [PublishedPort(hostPort: 8080, containerPort: 80),
                     PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: 5353, containerPort: 53, proto: .udp)]
        let ip = try #require(IPv4Address("10.88.0.5"))
        #expect(t.portElements(ports, to: ip) == """
        add element ip cnc pub_tcp_any { 8080 : 10.88.0.5 . 80 }
        add element ip cnc pub_udp_ip { 127.0.0.1 . 5353 : 10.88.0.5 . 53 }

        """)
        #expect(t.portElements(ports, to: ip, delete: true) == """
        delete element ip cnc pub_tcp_any { 8080 }
        delete element ip cnc pub_udp_ip { 127.0.0.1 . 5353 }

        """)
    }

    @Test func internalNetworksDropAndOthersMasquerade() throws {
        let t = FirewallTable(name: "cnc")
        let rules = t.networkRules([
            .init(bridge: "cnc0", subnet: try IPv4Subnet("10.88.0.0/16"), isInternal: false),
            .init(bridge: "cnc-int", subnet: try IPv4Subnet("10.89.1.0/24"), isInternal: true),
        ])
        #expect(rules.contains("ip saddr 10.88.0.0/16 oifname != \"cnc0\" masquerade"))
        #expect(!rules.contains("ip saddr 10.89.1.0/24 oifname != \"cnc-int\" masquerade"))
        #expect(rules.contains("forward iifname \"cnc-int\" drop"))
        // Every "into a network" rule precedes every "out of a network" accept (isolation).
        let lines = rules.split(separator: "\n")
        let lastInto = lines.lastIndex { $0.contains("forward oifname") } ?? 0
        let firstOut = lines.firstIndex { $0.contains("forward iifname") } ?? Int.max
        #expect(lastInto < firstOut)
    }
}

@Suite struct NameResolutionTests {
    /// Docker's hosts file: its localhost lines, --add-host entries, the hostname at the
    /// container's address; no names of its own beyond that (peers and itself resolve by DNS).
    @Test func hostsListsLocalhostExtraAndHostnameAsDocker() throws {
        let me = NameResolution.Entry(address: IPv4Address("10.0.0.2")!, names: ["web", "www"])
        let other = NameResolution.Entry(address: IPv4Address("10.1.0.2")!, names: ["web"])
        let text = NameResolution.hosts(hostname: "h1", own: [me, other], peers: [],
                                        extra: [HostEntry(name: "gw", address: IPv4Address("10.0.0.1")!)])
        #expect(text == "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
            + "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.0.0.1\tgw\n10.0.0.2\th1\n")
        // Peers (networks without cnc-dns only) follow, each name once.
        let peer = NameResolution.Entry(address: IPv4Address("10.0.0.3")!, names: ["db", "h1"])
        #expect(NameResolution.hosts(hostname: "h1", own: [me], peers: [peer], extra: []).hasSuffix("10.0.0.2\th1\n10.0.0.3\tdb\n"))
    }

    @Test(arguments: [
        ("nameserver 127.0.0.53\nsearch lan\n", [String](), [String](), "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"),
        ("nameserver 192.0.2.53\noptions ndots:2\n", [], [], "nameserver 192.0.2.53\noptions ndots:2\n"),
        ("nameserver 192.0.2.53\n", ["1.1.1.1"], ["corp"], "search corp\nnameserver 1.1.1.1\n"),
    ])
    func resolvConf(_ host: String, _ dns: [String], _ search: [String], _ want: String) {
        #expect(NameResolution.resolvConf(host: host, dns: dns.compactMap(IPv4Address.init), search: search, options: []) == want)
    }

    /// With cnc-dns (a user network) the network's server is the only nameserver, --dns goes
    /// to the server as upstreams, and ndots:0 is added unless an ndots option is given.
    @Test(arguments: [
        ("nameserver 127.0.0.53\nsearch lan\n", [String](), [String](), [String](), "search lan\nnameserver 10.89.0.1\noptions ndots:0\n"),
        ("nameserver 192.0.2.53\noptions ndots:2 edns0\n", [], [], [], "nameserver 10.89.0.1\noptions ndots:2 edns0\n"),
        ("nameserver 192.0.2.53\n", ["1.1.1.1"], ["corp"], ["timeout:1"], "search corp\nnameserver 10.89.0.1\noptions timeout:1 ndots:0\n"),
    ])
    func resolvConfWithTheNetworksServer(_ host: String, _ dns: [String], _ search: [String], _ options: [String], _ want: String) {
        #expect(NameResolution.resolvConf(host: host, dns: dns.compactMap(IPv4Address.init), search: search, options: options,
                                          embedded: IPv4Address("10.89.0.1")) == want)
    }

    @Test func hostEntries() throws {
        #expect(try HostEntry.parse("db:10.1.2.3") == HostEntry(name: "db", address: IPv4Address("10.1.2.3")!))
        #expect(try HostEntry.parse("db=10.1.2.3").name == "db")
        #expect(throws: CNCError.self) { try HostEntry.parse("db") }
    }
}

@Suite struct NetlinkEncodingTests {
    @Test func attributesArePaddedAndNestedLengthsPatched() {
        var m = NetlinkMessage(type: 16, flags: 0x600, header: [0, 0, 0, 0])
        m.attribute(3, string: "ab") // 4 + 3 bytes, padded to 8
        m.beginNest(18)
        m.attribute(1, string: "veth") // 4 + 5, padded to 12
        m.endNest()
        let b = m.finish(seq: 7)
        #expect(b.count == 16 + 4 + 8 + 4 + 12)
        #expect(Netlink.u32(b[...], 0) == UInt32(b.count))
        #expect(Netlink.u32(b[...], 8) == 7)
        let attrs = Netlink.parseAttributes(Array(b[16...]), from: 4)
        #expect(attrs[3].map(Netlink.string) == "ab")
        #expect(attrs[18].map { Netlink.parseAttributes($0, from: 0)[1].map(Netlink.string) } == "veth")
        #expect(Netlink.u16(b[...], 16 + 4 + 8) == 16) // the nest: its header + the veth attribute
    }

    @Test func splitsMessagesAndStopsOnTruncation() {
        var m1 = NetlinkMessage(type: 3, flags: 0, header: [])
        m1.attribute(1, u32: 5)
        let a = m1.finish(seq: 1), b = NetlinkMessage(type: 2, flags: 0, header: [0, 0, 0, 0]).finish(seq: 2)
        let both = a + b
        #expect(Netlink.split(both[...]).map(\.seq) == [1, 2])
        #expect(Netlink.split((both + [1, 2, 3])[...]).count == 2)
        #expect(Netlink.split(both.dropLast(2)).count == 1)
    }
}
