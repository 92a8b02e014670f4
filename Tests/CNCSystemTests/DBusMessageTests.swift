import CNCCore
import CNCSystem
import Testing

/// D-Bus's wire format as the spec lays it out (little-endian, alignment from the message's
/// start): what systemd reads from cnc and what cnc reads back.
@Suite struct DBusMessageTests {
    @Test func arrayLengthExcludesThePaddingBeforeItsFirstElement() {
        var w = DBusWriter()
        w.array(elementAlignment: 8) { $0.uint64(1) }
        #expect(w.bytes == [8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        var empty = DBusWriter()
        empty.array(elementAlignment: 8) { _ in }
        #expect(empty.bytes == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func stringsBooleansAndVariants() {
        var w = DBusWriter()
        w.byte(7)
        w.string("ab")
        w.variant("b") { $0.bool(true) }
        // 7, pad, len 2, "ab\0", sig "b" (len 1, 'b', NUL), pad to 4 at 12, 1.
        #expect(w.bytes == [7, 0, 0, 0, 2, 0, 0, 0, 97, 98, 0, 1, 98, 0, 0, 0, 1, 0, 0, 0])
    }

    @Test func aMethodCallsHeader() throws {
        let m = DBusMessage.call(destination: nil, path: "/", interface: "i", member: "X")
        let bytes = m.encoded()
        // 'l', call, flags, version 1, body 0, serial 0, fields length.
        #expect(Array(bytes[0..<12]) == [108, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        // PATH at 16: code 1, "o", then the string at 20.
        #expect(Array(bytes[16..<26]) == [1, 1, 111, 0, 1, 0, 0, 0, 47, 0])
        #expect(bytes.count % 8 == 0)
        #expect(try DBusMessage.totalSize(bytes[...]) == bytes.count)
        let back = try DBusMessage.decode(bytes)
        #expect(back.kind == .methodCall && back.path == "/" && back.interface == "i" && back.member == "X" && back.body.isEmpty)
    }

    @Test func aSignalWithABodyRoundTrips() throws {
        var body = DBusWriter()
        body.uint32(42)
        body.string("/org/freedesktop/systemd1/job/42")
        body.string("cnc-x.scope")
        body.string("done")
        var m = DBusMessage(kind: .signal)
        m.path = "/org/freedesktop/systemd1"
        m.interface = "org.freedesktop.systemd1.Manager"
        m.member = "JobRemoved"
        m.signature = "uoss"
        m.serial = 9
        m.replySerial = 3
        m.body = body.bytes
        let bytes = m.encoded()
        #expect(try DBusMessage.totalSize(bytes[0..<16]) == bytes.count)
        #expect(try DBusMessage.totalSize(bytes[0..<15]) == nil)
        let back = try DBusMessage.decode(bytes)
        #expect(back.kind == .signal && back.serial == 9 && back.replySerial == 3 && back.signature == "uoss")
        var r = back.reader
        #expect(try r.uint32() == 42)
        #expect(try r.string() == "/org/freedesktop/systemd1/job/42")
        #expect(try r.string() == "cnc-x.scope")
        #expect(try r.string() == "done")
        #expect(throws: CNCError.self) { try r.string() }
    }

    @Test func aBigEndianPeerIsRefusedNotMisread() {
        let header: [UInt8] = [66, 2, 0, 1] + [UInt8](repeating: 0, count: 12)
        #expect(throws: CNCError.self) { try DBusMessage.totalSize(header[...]) }
    }
}
