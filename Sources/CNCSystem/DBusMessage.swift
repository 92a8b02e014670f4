import CNCCore

/// D-Bus's wire format (little-endian), the part a client of systemd's manager needs: basic
/// types, arrays, structs and variants written; headers and the basic types read. Pure; the
/// static `cnc` front speaks it itself (it cannot load libsystemd), and so does the full CLI.
public struct DBusWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    public mutating func align(_ n: Int) { while bytes.count % n != 0 { bytes.append(0) } }
    public mutating func byte(_ v: UInt8) { bytes.append(v) }
    public mutating func uint32(_ v: UInt32) {
        align(4)
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    public mutating func uint64(_ v: UInt64) {
        align(8)
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    public mutating func bool(_ v: Bool) { uint32(v ? 1 : 0) }
    /// `s` and `o`: length, bytes, NUL.
    public mutating func string(_ s: String) {
        uint32(UInt32(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
        bytes.append(0)
    }
    /// `g`: a one-byte length.
    public mutating func signature(_ s: String) {
        bytes.append(UInt8(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
        bytes.append(0)
    }
    /// An array whose elements align to `elementAlignment` (8 for structs and `t`); its length
    /// counts from the first element, after that padding.
    public mutating func array(elementAlignment: Int, _ body: (inout DBusWriter) -> Void) {
        align(4)
        let at = bytes.count
        uint32(0)
        align(elementAlignment)
        let start = bytes.count
        body(&self)
        let n = UInt32(bytes.count - start).littleEndian
        withUnsafeBytes(of: n) { for (i, b) in $0.enumerated() { bytes[at + i] = b } }
    }
    public mutating func structure(_ body: (inout DBusWriter) -> Void) {
        align(8)
        body(&self)
    }
    public mutating func variant(_ sig: String, _ body: (inout DBusWriter) -> Void) {
        signature(sig)
        body(&self)
    }
}

/// Reads D-Bus values at their alignment (offsets count from the message's start).
public struct DBusReader: Sendable {
    let bytes: [UInt8]
    public private(set) var offset: Int
    let end: Int

    public init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    static let malformed = CNCError(.system, "malformed D-Bus message")

    mutating func align(_ n: Int) throws {
        while offset % n != 0 { offset += 1 }
        if offset > end { throw Self.malformed }
    }
    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, offset + n <= end else { throw Self.malformed }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
    public mutating func byte() throws -> UInt8 { try take(1).first ?? 0 }
    public mutating func uint32() throws -> UInt32 {
        try align(4)
        return try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    public mutating func uint64() throws -> UInt64 {
        try align(8)
        return try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    /// `s` and `o`.
    public mutating func string() throws -> String {
        let n = Int(try uint32())
        let s = String(decoding: try take(n), as: UTF8.self)
        _ = try take(1)
        return s
    }
    public mutating func signature() throws -> String {
        let n = Int(try byte())
        let s = String(decoding: try take(n), as: UTF8.self)
        _ = try take(1)
        return s
    }
}

/// One D-Bus message: its header fields and body (already marshalled).
public struct DBusMessage: Sendable {
    public enum Kind: UInt8, Sendable { case methodCall = 1, methodReturn = 2, error = 3, signal = 4 }
    public var kind: Kind
    public var flags: UInt8 = 0
    public var serial: UInt32 = 0
    public var replySerial: UInt32?
    public var path: String?
    public var interface: String?
    public var member: String?
    public var errorName: String?
    public var destination: String?
    public var sender: String?
    public var signature: String = ""
    /// Marshalled on its own: the body starts 8-aligned in the message, so alignments hold.
    public var body: [UInt8] = []
    public init(kind: Kind) { self.kind = kind }

    public static func call(destination: String?, path: String, interface: String, member: String,
                            signature: String = "", body: [UInt8] = []) -> DBusMessage {
        var m = DBusMessage(kind: .methodCall)
        m.destination = destination
        m.path = path
        m.interface = interface
        m.member = member
        m.signature = signature
        m.body = body
        return m
    }

    /// A reader over the body.
    public var reader: DBusReader { DBusReader(body) }

    public func encoded() -> [UInt8] {
        var w = DBusWriter()
        w.byte(UInt8(ascii: "l"))
        w.byte(kind.rawValue)
        w.byte(flags)
        w.byte(1)
        w.uint32(UInt32(body.count))
        w.uint32(serial)
        w.array(elementAlignment: 8) { a in
            func field(_ code: UInt8, _ sig: String, _ value: (inout DBusWriter) -> Void) {
                a.structure { s in
                    s.byte(code)
                    s.variant(sig, value)
                }
            }
            if let path { field(1, "o") { $0.string(path) } }
            if let interface { field(2, "s") { $0.string(interface) } }
            if let member { field(3, "s") { $0.string(member) } }
            if let errorName { field(4, "s") { $0.string(errorName) } }
            if let replySerial { field(5, "u") { $0.uint32(replySerial) } }
            if let destination { field(6, "s") { $0.string(destination) } }
            if !signature.isEmpty { field(8, "g") { $0.signature(signature) } }
        }
        w.align(8)
        return w.bytes + body
    }

    /// The size of the message starting `buffer` once its first 16 bytes are there.
    public static func totalSize(_ buffer: ArraySlice<UInt8>) throws -> Int? {
        guard buffer.count >= 16 else { return nil }
        var r = DBusReader(Array(buffer.prefix(16)))
        guard try r.byte() == UInt8(ascii: "l") else {
            throw CNCError(.unsupported, "a big-endian D-Bus peer is not supported")
        }
        _ = try r.byte(); _ = try r.byte(); _ = try r.byte()
        let bodyLength = Int(try r.uint32())
        _ = try r.uint32()
        let fieldsLength = Int(try r.uint32())
        let header = (16 + fieldsLength + 7) / 8 * 8
        return header + bodyLength
    }

    /// Parses one whole message (`totalSize` bytes).
    public static func decode(_ bytes: [UInt8]) throws -> DBusMessage {
        var r = DBusReader(bytes)
        _ = try r.byte()
        guard let kind = Kind(rawValue: try r.byte()) else { throw DBusReader.malformed }
        var m = DBusMessage(kind: kind)
        m.flags = try r.byte()
        _ = try r.byte()
        let bodyLength = Int(try r.uint32())
        m.serial = try r.uint32()
        let fieldsLength = Int(try r.uint32())
        let fieldsEnd = r.offset + fieldsLength
        while r.offset < fieldsEnd {
            try r.align(8)
            if r.offset >= fieldsEnd { break }
            let code = try r.byte()
            let sig = try r.signature()
            switch sig {
            case "s", "o":
                let v = try r.string()
                switch code {
                case 1: m.path = v
                case 2: m.interface = v
                case 3: m.member = v
                case 4: m.errorName = v
                case 6: m.destination = v
                case 7: m.sender = v
                default: break
                }
            case "u":
                let v = try r.uint32()
                if code == 5 { m.replySerial = v }
            case "g":
                let v = try r.signature()
                if code == 8 { m.signature = v }
            default:
                throw CNCError(.system, "unexpected D-Bus header field type \(sig)")
            }
        }
        r = DBusReader(bytes, offset: fieldsEnd)
        try r.align(8)
        m.body = Array(try r.take(bodyLength))
        return m
    }
}
