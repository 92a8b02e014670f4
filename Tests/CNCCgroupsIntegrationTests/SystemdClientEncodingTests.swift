@testable import CNCCgroups
import CNCCore
import CNCSystem
@testable import CNCSystemd
import CSystemd
import Glibc
import Testing

/// The two clients of systemd's manager put the same property list on the wire: the message
/// libsystemd's sd-bus sends (read off the other end of a socketpair, after its handshake) has
/// the same signature and body bytes as the wire client's.
@Suite struct SystemdClientEncodingTests {
    /// Every kind of SystemdValue, and what the driver sends for a container's scope.
    static let properties: [SystemdProperty] = {
        var l = CgroupLimits()
        l.memory = 64 << 20
        l.cpuShares = 512
        l.pids = 99
        var props = SystemdProperties.scope(slice: "cnc.slice", pid: 4242, description: "cnc container abc", unified: false)
        props += SystemdProperties.limits(l, unified: true)
        props += SystemdProperties.defaultDevices { _, _ in "char-pts" }
        props += [
            SystemdProperty("TasksMax", .infinity),
            SystemdProperty("AllowedCPUs", .bytes([0x0f, 0x01])),
            SystemdProperty("PIDs", .uint32s([7, 9, 11])),
            SystemdProperty("DeviceAllow", .pathStrings([.init(path: "/dev/null", value: "rwm"), .init(path: "char-pts", value: "rw")])),
            SystemdProperty("IOReadBandwidthMax", .pathNumbers([.init(path: "/dev/sda", value: 5), .init(path: "/dev/sdb", value: 1 << 40)])),
            SystemdProperty("IOReadIOPSMax", .pathNumbers([])),
        ]
        return props
    }()

    @Test func startTransientUnitIsEncodedAlikeBySDBusAndTheWireClient() throws {
        let wire = SystemdBus.startMessage("cnc-abc.scope", Self.properties)
        let sd = try Self.sentBySDBus { m in try SDBusClient.appendStart(m, "cnc-abc.scope", Self.properties) }
        #expect(sd.member == "StartTransientUnit" && sd.interface == wire.interface && sd.path == wire.path)
        #expect(sd.signature == wire.signature)
        #expect(sd.body.count == wire.body.count)
        #expect(sd.body == wire.body)
        #expect(Self.properties.count > 12)
    }

    /// The StartTransientUnit call sd-bus writes to a peer that answers its handshake.
    static func sentBySDBus(_ append: (OpaquePointer) throws -> Void) throws -> DBusMessage {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        let peer = UniqueFD(adopting: fds[1])
        var bus: OpaquePointer?
        try SDBusClient.check(sd_bus_new(&bus), "create a bus")
        defer { sd_bus_flush_close_unref(bus) }
        try SDBusClient.check(sd_bus_set_fd(bus, fds[0], fds[0]), "use the socket")
        try SDBusClient.check(sd_bus_negotiate_fds(bus, 0), "refuse fds")
        try SDBusClient.check(sd_bus_start(bus), "start")
        // sd-bus sends "AUTH EXTERNAL", "DATA" (its empty answer) and "BEGIN" at once: an
        // empty challenge, then OK.
        let ok = Array("DATA\r\nOK 0123456789abcdef0123456789abcdef\r\n".utf8)
        #expect(write(peer.raw, ok, ok.count) == ok.count)
        var m: OpaquePointer?
        try SDBusClient.check(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                             "org.freedesktop.systemd1.Manager", "StartTransientUnit"), "make the call")
        defer { sd_bus_message_unref(m) }
        try append(try #require(m))
        try SDBusClient.check(sd_bus_send(bus, m, nil), "send")
        try SDBusClient.check(sd_bus_flush(bus), "flush")
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            var p = pollfd(fd: peer.raw, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { break }
            let n = read(peer.raw, &buf, buf.count)
            guard n > 0 else { break }
            got += buf[0..<n]
        }
        let begin = Array("BEGIN\r\n".utf8)
        let at = try #require((0...(max(0, got.count - begin.count))).first { Array(got[$0..<($0 + begin.count)]) == begin },
                              "no BEGIN in \(got.count) bytes")
        return try DBusMessage.decode(Array(got[(at + begin.count)...]))
    }
}
