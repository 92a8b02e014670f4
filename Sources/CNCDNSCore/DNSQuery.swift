/// One DNS query as cnc-dns reads it from the wire (RFC 1035 §4.1): the header fields a reply
/// echoes, the single question, and the EDNS payload size (RFC 6891) when the client sent one.
/// Parsing is pure and bounded: every length is checked against the datagram, labels are at
/// most 63 bytes and names at most 255, and a compression pointer in the question is refused.
public struct DNSQuery: Sendable, Equatable {
    public var id: UInt16
    /// Header flags as received (RD and CD are echoed in the reply).
    public var flags: UInt16
    /// The question's labels exactly as received (the answer repeats the client's case).
    public var labels: [[UInt8]]
    public var type: UInt16
    public var qclass: UInt16
    /// The question section's bytes (name, type, class), echoed verbatim in replies.
    public var question: [UInt8]
    /// The requestor's UDP payload size from an OPT record, if any.
    public var udpPayloadSize: Int?

    public var recursionDesired: Bool { flags & 0x0100 != 0 }

    /// The name in lower case without the trailing dot ("web", "db.appnet"); nil when a
    /// label holds a byte that cannot be part of a container name or alias (a dot, a space,
    /// a control character), so such a name is never mistaken for a local one.
    public var lowercasedName: String? {
        var out: [UInt8] = []
        for (i, label) in labels.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ".")) }
            for b in label {
                guard b > 0x20, b < 0x7f, b != UInt8(ascii: ".") else { return nil }
                out.append(b >= 0x41 && b <= 0x5a ? b + 0x20 : b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// What reading a datagram gave: a query to answer, a header-only error reply to send
/// (FORMERR, NOTIMP), or nothing to send (too short to carry an ID, or itself a response).
public enum DNSParseResult: Sendable, Equatable {
    case query(DNSQuery)
    case error([UInt8])
    case ignore
}

public enum DNSType {
    public static let a: UInt16 = 1
    public static let ptr: UInt16 = 12
    public static let aaaa: UInt16 = 28
    public static let opt: UInt16 = 41
    public static let any: UInt16 = 255
}

public enum DNSRcode {
    public static let noError: UInt16 = 0
    public static let formatError: UInt16 = 1
    public static let serverFailure: UInt16 = 2
    public static let nameError: UInt16 = 3
    public static let notImplemented: UInt16 = 4
    public static let refused: UInt16 = 5
}

extension DNSQuery {
    /// Reads `bytes` as a query (RFC 1035 §4.1). Never traps on any input.
    public static func parse(_ bytes: [UInt8]) -> DNSParseResult {
        guard bytes.count >= 12 else { return .ignore }
        let id = u16(bytes, 0), flags = u16(bytes, 2)
        if flags & 0x8000 != 0 { return .ignore }  // a response: never answer one (no loops)
        let opcode = (flags >> 11) & 0xf
        guard opcode == 0 else { return .error(DNSReply.headerOnly(id: id, flags: flags, rcode: DNSRcode.notImplemented)) }
        let formErr = DNSParseResult.error(DNSReply.headerOnly(id: id, flags: flags, rcode: DNSRcode.formatError))
        guard u16(bytes, 4) == 1 else { return formErr }
        var at = 12
        var labels: [[UInt8]] = []
        var nameLength = 1
        while true {
            guard at < bytes.count else { return formErr }
            let len = Int(bytes[at])
            at += 1
            if len == 0 { break }
            guard len <= 63, at + len <= bytes.count else { return formErr }  // also refuses pointers (0xc0)
            nameLength += len + 1
            guard nameLength <= 255 else { return formErr }
            labels.append(Array(bytes[at..<(at + len)]))
            at += len
        }
        guard at + 4 <= bytes.count else { return formErr }
        var q = DNSQuery(id: id, flags: flags, labels: labels, type: u16(bytes, at), qclass: u16(bytes, at + 2),
                         question: Array(bytes[12..<(at + 4)]), udpPayloadSize: nil)
        at += 4
        // EDNS: only the plain layout of a query (no answers or authority records) is read;
        // anything else simply gets the classic 512-byte limit.
        if u16(bytes, 6) == 0, u16(bytes, 8) == 0, u16(bytes, 10) >= 1,
           at + 11 <= bytes.count, bytes[at] == 0, u16(bytes, at + 1) == DNSType.opt {
            q.udpPayloadSize = Int(u16(bytes, at + 3))
        }
        return .query(q)
    }

    static func u16(_ b: [UInt8], _ i: Int) -> UInt16 {
        guard i + 1 < b.count else { return 0 }
        return UInt16(b[i]) << 8 | UInt16(b[i + 1])
    }
}
