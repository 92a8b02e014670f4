/// Encodes cnc-dns's own answers (RFC 1035 §4.1): the query's ID and question echoed, QR and
/// RA set (it forwards what it does not know), AA clear — as Docker's embedded server does,
/// so `nslookup` prints the same "Non-authoritative answer:" for both.
public enum DNSReply {
    /// One resource record of an answer section.
    public enum Record: Sendable, Equatable {
        case a(UInt32)
        /// A domain name, as dotted text ("web.appnet").
        case ptr(String)
    }

    /// Docker's embedded server answers with a TTL of 600 s (libnetwork's respTTL).
    public static let defaultTTL: UInt32 = 600

    /// A reply to `query` with `records` (all owned by the question's name), at most
    /// `maxSize` bytes: records that do not fit are left out and TC is set.
    public static func answer(_ query: DNSQuery, rcode: UInt16 = DNSRcode.noError, records: [Record],
                              ttl: UInt32 = defaultTTL, maxSize: Int = 512) -> [UInt8] {
        var out = header(id: query.id, flags: query.flags, rcode: rcode, questions: 1, answers: 0)
        out += query.question
        var count: UInt16 = 0
        for r in records {
            var rr: [UInt8] = [0xc0, 0x0c]  // the name: a pointer to the question's
            switch r {
            case .a(let address):
                put16(&rr, DNSType.a); put16(&rr, 1); put32(&rr, ttl); put16(&rr, 4); put32(&rr, address)
            case .ptr(let name):
                let data = encodeName(name)
                put16(&rr, DNSType.ptr); put16(&rr, 1); put32(&rr, ttl); put16(&rr, UInt16(data.count)); rr += data
            }
            if out.count + rr.count > maxSize {
                out[2] |= 0x02  // TC
                break
            }
            out += rr
            count += 1
        }
        out[6] = UInt8(count >> 8)
        out[7] = UInt8(count & 0xff)
        return out
    }

    /// A forwarded `reply` cut down for a UDP client it does not fit: its header with TC set
    /// and no records, and the question — what a server sends when its answer does not fit, so
    /// the client asks again over TCP.
    public static func truncated(_ reply: [UInt8], question: [UInt8]) -> [UInt8] {
        guard reply.count >= 12 else { return reply }
        var out = Array(reply.prefix(12))
        out[2] |= 0x02
        out[4] = 0
        out[5] = question.isEmpty ? 0 : 1
        for k in 6..<12 { out[k] = 0 }
        return out + question
    }

    /// A reply carrying only an rcode (FORMERR, NOTIMP) to a query whose question could not be read.
    public static func headerOnly(id: UInt16, flags: UInt16, rcode: UInt16) -> [UInt8] {
        header(id: id, flags: flags, rcode: rcode, questions: 0, answers: 0)
    }

    static func header(id: UInt16, flags: UInt16, rcode: UInt16, questions: UInt16, answers: UInt16) -> [UInt8] {
        // QR, the query's opcode, RD and CD; RA; the rcode.
        let f: UInt16 = 0x8000 | (flags & 0x7800) | (flags & 0x0100) | 0x0080 | (flags & 0x0010) | (rcode & 0xf)
        var h: [UInt8] = []
        h.reserveCapacity(512)
        put16(&h, id); put16(&h, f); put16(&h, questions); put16(&h, answers); put16(&h, 0); put16(&h, 0)
        return h
    }

    /// "web.appnet" -> 3 w e b 6 a p p n e t 0 (labels over 63 bytes are cut, empty ones skipped).
    static func encodeName(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in name.utf8.split(separator: UInt8(ascii: ".")) {
            let l = label.prefix(63)
            if out.count + l.count + 2 > 255 { break }
            out.append(UInt8(l.count))
            out += l
        }
        out.append(0)
        return out
    }

    static func put16(_ b: inout [UInt8], _ v: UInt16) { b.append(UInt8(v >> 8)); b.append(UInt8(v & 0xff)) }
    static func put32(_ b: inout [UInt8], _ v: UInt32) { put16(&b, UInt16(v >> 16)); put16(&b, UInt16(v & 0xffff)) }
}
