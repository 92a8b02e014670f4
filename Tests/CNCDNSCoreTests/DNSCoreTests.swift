import CNCDNSCore
import Testing

/// A wire query for `name` (labels split on dots) of `type`, with an optional OPT record.
func wireQuery(_ name: String, type: UInt16 = DNSType.a, id: UInt16 = 0x1234, flags: UInt16 = 0x0100, edns: UInt16? = nil) -> [UInt8] {
    var b: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), UInt8(flags >> 8), UInt8(flags & 0xff), 0, 1, 0, 0, 0, 0, 0, edns == nil ? 0 : 1]
    for label in name.split(separator: ".") { b.append(UInt8(label.utf8.count)); b += label.utf8 }
    b += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
    if let edns { b += [0, 0, 41, UInt8(edns >> 8), UInt8(edns & 0xff), 0, 0, 0, 0, 0, 0] }
    return b
}

func query(_ bytes: [UInt8]) -> DNSQuery? {
    if case .query(let q) = DNSQuery.parse(bytes) { return q }
    return nil
}

func rcode(_ reply: [UInt8]) -> UInt8 { reply[3] & 0x0f }
func answerCount(_ reply: [UInt8]) -> Int { Int(reply[6]) << 8 | Int(reply[7]) }

/// The A addresses of a reply built by DNSReply (answers follow the echoed question).
func addresses(_ reply: [UInt8], questionLength: Int) -> [String] {
    var at = 12 + questionLength
    var out: [String] = []
    for _ in 0..<answerCount(reply) {
        let type = UInt16(reply[at + 2]) << 8 | UInt16(reply[at + 3])
        let len = Int(reply[at + 10]) << 8 | Int(reply[at + 11])
        if type == DNSType.a { out.append(reply[(at + 12)..<(at + 16)].map { String($0) }.joined(separator: ".")) }
        at += 12 + len
    }
    return out.sorted()
}

@Suite struct DNSQueryParseTests {
    @Test func readsAQuestionKeepingItsCase() throws {
        let q = try #require(query(wireQuery("Web.AppNet", type: DNSType.aaaa, edns: 1232)))
        #expect(q.id == 0x1234 && q.recursionDesired && q.type == DNSType.aaaa && q.qclass == 1)
        #expect(q.labels.map { String(decoding: $0, as: UTF8.self) } == ["Web", "AppNet"])
        #expect(q.lowercasedName == "web.appnet")
        #expect(q.udpPayloadSize == 1232)
        #expect(q.question.count == 1 + 3 + 1 + 6 + 1 + 4)
    }

    @Test(arguments: [
        ("too short for an ID", [UInt8](repeating: 0, count: 11), "ignore"),
        ("a response", wireQuery("web", flags: 0x8100), "ignore"),
        ("opcode STATUS", wireQuery("web", flags: 0x1100), "notimp"),
        ("two questions", { var b = wireQuery("web"); b[5] = 2; return b }(), "formerr"),
        ("no question", { var b = wireQuery("web"); b[5] = 0; return b }(), "formerr"),
        ("a compression pointer", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1], "formerr"),
        ("a label past the end", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61], "formerr"),
        ("no terminating label", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61], "formerr"),
        ("type and class cut", [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1], "formerr"),
        ("a name over 255 bytes", wireQuery(Array(repeating: String(repeating: "a", count: 63), count: 5).joined(separator: ".")), "formerr"),
    ] as [(String, [UInt8], String)])
    func refusesMalformedInput(_ what: String, _ bytes: [UInt8], _ outcome: String) {
        switch DNSQuery.parse(bytes) {
        case .ignore: #expect(outcome == "ignore", "\(what)")
        case .error(let reply):
            #expect(reply.count == 12 && reply[2] & 0x80 != 0, "\(what)")
            #expect(rcode(reply) == (outcome == "notimp" ? 4 : 1), "\(what)")
            #expect(reply[0] == bytes[0] && reply[1] == bytes[1], "\(what): the ID is echoed")
        case .query: Issue.record("\(what) parsed as a query")
        }
    }

    @Test func nameWithADotInsideALabelIsNeverLocal() throws {
        var b: [UInt8] = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x2e, 0x62, 0, 0, 1, 0, 1]
        #expect(query(b)?.lowercasedName == nil)
        b[13] = 0x01
        #expect(query(b)?.lowercasedName == nil)
    }

    /// Hostile input: random and mutated datagrams never trap and always give a bounded reply.
    @Test func survivesRandomAndMutatedDatagrams() {
        var rng = SystemRandomNumberGenerator()
        let records = DNSRecords(entries: [.init(network: "n", address: 0x0a000002, container: "c1", names: ["web"])])
        let answerer = DNSAnswerer(network: "n", forwards: true)
        let seed = wireQuery("web.n", edns: 4096)
        for i in 0..<20_000 {
            var b: [UInt8]
            if i % 2 == 0 {
                b = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                b = seed
                for _ in 0..<Int.random(in: 1...4, using: &rng) { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                if Bool.random(using: &rng) { b.removeLast(Int.random(in: 0..<b.count, using: &rng)) }
            }
            if case .query(let q) = DNSQuery.parse(b),
               case .reply(let r) = answerer.decide(q, client: 0x0a000003, records: records, maxSize: DNSAnswerer.maxSize(for: q, tcp: false)) {
                #expect(r.count <= 4096 && r.count >= 12)
            }
        }
    }
}

@Suite struct DNSReplyTests {
    @Test func answerEchoesTheQuestionAndSetsTheFlags() throws {
        let q = try #require(query(wireQuery("WEB")))
        let r = DNSReply.answer(q, records: [.a(0x0a590002)])
        #expect(r[0] == 0x12 && r[1] == 0x34)
        #expect(r[2] == 0x81 && r[3] == 0x80, "QR, RD echoed, RA, not AA, NOERROR")
        #expect(Array(r[12..<(12 + q.question.count)]) == q.question, "the question with the client's case")
        #expect(addresses(r, questionLength: q.question.count) == ["10.89.0.2"])
        let ttl = r[(12 + q.question.count + 6)..<(12 + q.question.count + 10)].reduce(0) { $0 << 8 | UInt32($1) }
        #expect(ttl == 600)
    }

    @Test func truncatesToTheClientsSizeAndSetsTC() throws {
        let q = try #require(query(wireQuery("web")))
        let many = (0..<100).map { DNSReply.Record.a(0x0a000000 + UInt32($0)) }
        let small = DNSReply.answer(q, records: many, maxSize: 512)
        #expect(small.count <= 512 && small[2] & 0x02 != 0 && answerCount(small) == (512 - 12 - q.question.count) / 16)
        let tcp = DNSReply.answer(q, records: many, maxSize: 65535)
        #expect(tcp[2] & 0x02 == 0 && answerCount(tcp) == 100)
    }
}

@Suite struct DNSRecordsTests {
    let records = DNSRecords(entries: [
        .init(network: "appnet", address: 0x0a590002, container: "aaaaaaaaaaaa", names: ["web-1", "web", "aaaaaaaaaaaa"]),
        .init(network: "appnet", address: 0x0a590003, container: "bbbbbbbbbbbb", names: ["web-2", "web", "bbbbbbbbbbbb"]),
        .init(network: "appnet", address: 0x0a590004, container: "cccccccccccc", names: ["Client"]),
        .init(network: "backend", address: 0x0a5a0002, container: "cccccccccccc", names: ["Client"]),
        .init(network: "backend", address: 0x0a5a0003, container: "dddddddddddd", names: ["db"]),
    ], upstreams: ["cccccccccccc": [DNSUpstream(address: 0x7f000105, port: 5353)]])

    @Test func renderAndParseRoundTrip() {
        #expect(DNSRecords.parse(records.render()) == records)
        let odd = DNSRecords(entries: [.init(network: "n", address: 1, container: "c", names: ["ok", "has space", "tab\t"])])
        #expect(DNSRecords.parse(odd.render()).entries.first?.names == ["ok"])
        #expect(DNSRecords.parse("garbage\nA n notanip c x\nA n 1.2.3.4\nU c nope\n") == DNSRecords())
    }

    @Test(arguments: [
        ("web", 0x0a590004, ["10.89.0.2", "10.89.0.3"]),   // replicas share the service name
        ("WEB-1", 0x0a590004, ["10.89.0.2"]),              // case-insensitive
        ("web-1.appnet", 0x0a590004, ["10.89.0.2"]),       // NAME.NETWORK
        ("db", 0x0a590004, ["10.90.0.3"]),                 // via the client's other network
        ("db", 0x0a590002, nil),                           // web is not on backend
        ("db.appnet", 0x0a590004, nil),
        ("client", 0x0a590002, ["10.89.0.4"]),
        ("nothere", 0x0a590004, nil),
    ] as [(String, UInt32, [String]?)])
    func resolvesAcrossTheClientsNetworks(_ name: String, _ client: UInt32, _ expected: [String]?) {
        let found = records.addresses(of: name.lowercased(), in: records.networks(client: client, on: "appnet"))
        #expect(found.map { $0.map(IPv4.format).sorted() } == expected)
    }

    @Test func reverseNamesAndUpstreams() {
        #expect(IPv4.parseReverse("2.0.89.10.in-addr.arpa") == 0x0a590002)
        #expect(IPv4.parseReverse("0.89.10.in-addr.arpa") == nil)
        #expect(records.name(of: 0x0a590002, in: ["appnet"]) == "web-1.appnet")
        #expect(records.container(client: 0x0a590004, on: "appnet") == "cccccccccccc")
    }
}

@Suite struct DNSAnswererTests {
    let records = DNSRecordsTests().records
    let answerer = DNSAnswerer(network: "appnet", forwards: true)

    func decide(_ name: String, _ type: UInt16 = DNSType.a, client: UInt32 = 0x0a590002, forwards: Bool = true) throws -> DNSAnswerer.Decision {
        let q = try #require(query(wireQuery(name, type: type)))
        return DNSAnswerer(network: "appnet", forwards: forwards).decide(q, client: client, records: records, maxSize: 512)
    }

    @Test func knownNamesGetAddressesAndNodataForOtherTypes() throws {
        guard case .reply(let a) = try decide("Web") else { Issue.record("not answered"); return }
        #expect(rcode(a) == 0 && addresses(a, questionLength: 9) == ["10.89.0.2", "10.89.0.3"])
        for type in [DNSType.aaaa, 15 /* MX */, 16 /* TXT */] {
            guard case .reply(let r) = try decide("web", type) else { Issue.record("type \(type) forwarded"); continue }
            #expect(rcode(r) == 0 && answerCount(r) == 0, "type \(type): NODATA")
        }
        guard case .reply(let ptr) = try decide("3.0.89.10.in-addr.arpa", DNSType.ptr) else { Issue.record("PTR forwarded"); return }
        #expect(answerCount(ptr) == 1)
    }

    @Test func unknownNamesAreForwardedOrFailOnInternalNetworks() throws {
        #expect(try decide("example.com") == .forward(nil))
        #expect(try decide("example.com", client: 0x0a590004) == .forward([DNSUpstream(address: 0x7f000105, port: 5353)]), "the client's --dns")
        #expect(try decide("9.9.9.9.in-addr.arpa", DNSType.ptr) == .forward(nil))
        guard case .reply(let r) = try decide("example.com", forwards: false) else { Issue.record("internal network forwarded"); return }
        #expect(rcode(r) == 2)
    }

    @Test func upstreamLists() {
        #expect(DNSUpstream.fromResolvConf("# x\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 10.0.0.1\nnameserver 10.89.0.1\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n",
                                           excluding: 0x0a590001).map(\.description) == ["127.0.0.53", "10.0.0.1", "1.1.1.1"])
        #expect(DNSUpstream.fromOverride("127.0.0.9:5300, 127.0.0.10").map(\.description) == ["127.0.0.9:5300", "127.0.0.10"])
        #expect(DNSUpstream.fromOverride("none").isEmpty && DNSUpstream.fromOverride("bogus").isEmpty)
        #expect(DNSServerConfig.parse(["--network", "n", "--address", "10.0.0.1", "--records", "r", "--pidfile", "p", "--internal"],
                                      upstreamOverride: nil)?.forwards == false)
        #expect(DNSServerConfig.parse(["--network", "n"], upstreamOverride: nil) == nil)
        let c = DNSServerConfig(network: "n", address: 1, recordsPath: "r", pidfile: "p")
        #expect(DNSServerConfig.parse(c.arguments(), upstreamOverride: nil) == c)
    }
}
