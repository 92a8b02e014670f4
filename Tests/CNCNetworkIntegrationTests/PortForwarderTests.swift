import CNCCore
import CNCSystem
import Foundation
import Testing

/// `cnc-net forward` (PortForwarder, rootless cnc's published ports on user networks) on the
/// real kernel: host sockets bound on 127.0.0.1 by the test, relayed into a network namespace
/// the test made, where echo servers of the test's own answer on that namespace's loopback.
@Suite("Port forwarder", .serialized, .enabled(if: canUseKernel && FileSystem.isExecutable(RunNetworkingTests.binDir + "/cnc-net")))
struct PortForwarderTests {
    /// A free port on the host's 127.0.0.1 for both protocols.
    static func freePort() -> UInt16 {
        var port: UInt16 = 21_000 + UInt16.random(in: 0..<2000)
        while !(PortProbe.isFree(address: [127, 0, 0, 1], port: port, udp: false) && PortProbe.isFree(address: [127, 0, 0, 1], port: port, udp: true)) {
            port += 1
        }
        return port
    }

    /// Echo servers (one TCP connection, UDP datagrams until `stop`) on 127.0.0.1:`port` of
    /// the namespace, on a thread that entered it; returns once they are bound.
    final class Echo: @unchecked Sendable {
        let stopFile: String
        var ready = DispatchSemaphore(value: 0)
        var failure: String?

        init(netnsPath: String, port: UInt16) {
            stopFile = "/tmp/cnc-fwdtest-stop-" + token(8)
            let thread = Thread { [self] in
                let ns = open(netnsPath, O_RDONLY | O_CLOEXEC)
                defer { if ns >= 0 { close(ns) } }
                do {
                    // A thread of its own that enters the namespace (and ends with it).
                    try RootlessNetns.onThread(setns: ns, label: netnsPath) {
                        let address = IPv4Address(0x7f00_0001)
                        let tcp = try BoundSocket.tcpListener(address: address, port: port)
                        let udp = try BoundSocket.udp(address: address, port: port)
                        ready.signal()
                        serve(tcp: tcp, udp: udp)
                        close(tcp); close(udp)
                    }
                } catch {
                    failure = "\(error)"
                    ready.signal()
                }
            }
            thread.start()
            ready.wait()
        }

        func serve(tcp: Int32, udp: Int32) {
            var buffer = [UInt8](repeating: 0, count: 2048)
            for _ in 0..<400 where !FileManager.default.fileExists(atPath: stopFile) {
                var fds = [pollfd(fd: tcp, events: Int16(POLLIN), revents: 0), pollfd(fd: udp, events: Int16(POLLIN), revents: 0)]
                guard poll(&fds, 2, 50) > 0 else { continue }
                if fds[0].revents != 0 {
                    let c = accept(tcp, nil, nil)
                    if c >= 0 {
                        let flags = fcntl(c, F_GETFL)
                        _ = fcntl(c, F_SETFL, flags & ~O_NONBLOCK)
                        let n = read(c, &buffer, buffer.count)
                        if n > 0 { _ = write(c, Array("tcp:".utf8) + buffer[0..<n], n + 4) }
                        close(c)
                    }
                }
                if fds[1].revents != 0 {
                    var from = sockaddr_in()
                    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                    let n = withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udp, &buffer, buffer.count, 0, $0, &length) }
                    }
                    if n > 0 {
                        let reply = Array("udp:".utf8) + buffer[0..<n]
                        _ = withUnsafePointer(to: &from) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(udp, reply, reply.count, 0, $0, length) }
                        }
                    }
                }
            }
        }

        func stop() { FileManager.default.createFile(atPath: stopFile, contents: nil) }
    }

    static func loopback(_ port: UInt16) -> sockaddr_in {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return sa
    }

    /// Sends `text` to 127.0.0.1:`port` of the host and returns the answer ("" after 3 s).
    static func ask(_ text: String, port: UInt16, udp: Bool) -> String {
        let fd = socket(AF_INET, udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sa = loopback(port)
        let connected = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "connect errno \(errno)" }
        _ = write(fd, text, text.utf8.count)
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 3000) > 0 else { return "" }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = read(fd, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }

    @Test func relaysTCPAndUDPFromTheHostIntoTheNamespace() throws {
        let netns = try TestNetns()
        defer { netns.cleanup() }
        #expect(netns.run("ip link set lo up").status == 0)
        let inner: UInt16 = 7777
        let echo = Echo(netnsPath: netns.path, port: inner)
        defer { echo.stop(); try? FileSystem.remove(echo.stopFile) }
        #expect(echo.failure == nil, "\(echo.failure ?? "")")

        // The host sockets, bound here as cnc binds them: 127.0.0.1 only (tests reach nothing else).
        let hostPort = Self.freePort()
        let tcp = try BoundSocket.tcpListener(address: IPv4Address(0x7f00_0001), port: hostPort)
        let udp = try BoundSocket.udp(address: IPv4Address(0x7f00_0001), port: hostPort)
        let ns = open(netns.path, O_RDONLY | O_CLOEXEC)
        #expect(ns >= 0)
        var options = Spawn.Options()
        options.fdMap = [-1, -1, 2, ns, tcp, udp]
        let rules = [PortForwarder.Rule(proto: .tcp, fd: 4, target: IPv4Address(0x7f00_0001), port: inner),
                     PortForwarder.Rule(proto: .udp, fd: 5, target: IPv4Address(0x7f00_0001), port: inner)]
        let pid = try Spawn.spawn(RunNetworkingTests.binDir + "/cnc-net", arguments: ["cnc-net", "forward", "3"] + rules.map(\.argument),
                                  environment: [], options: options)
        close(ns); close(tcp); close(udp)
        defer { kill(pid, SIGKILL); _ = try? Spawn.wait(pid) }

        // Without the forwarder nothing in the host's namespace listens on 7777; with it the
        // host port reaches the namespace's echo servers, both protocols.
        #expect(Self.ask("hello", port: hostPort, udp: false) == "tcp:hello")
        #expect(Self.ask("datagram", port: hostPort, udp: true) == "udp:datagram")
        #expect(Self.ask("again", port: hostPort, udp: true) == "udp:again")

        // SIGTERM ends it and the host ports are free again.
        kill(pid, SIGTERM)
        let end = try Spawn.wait(pid)
        #expect(end.shellStatus == 128 + SIGTERM)
        #expect(PortProbe.isFree(address: [127, 0, 0, 1], port: hostPort, udp: false))
        #expect(PortProbe.isFree(address: [127, 0, 0, 1], port: hostPort, udp: true))
    }

    @Test func refusesBadArgumentsWithUsage() throws {
        for args in [["forward"], ["forward", "3", "tcp:4:10.0.0.1"], ["forward", "3", "sctp:4:10.0.0.1:80"], ["forward", "x", "tcp:4:10.0.0.1:80"]] {
            let r = try Spawn.capture(RunNetworkingTests.binDir + "/cnc-net", args, environment: [])
            #expect(r.termination.shellStatus == 2, "\(args)")
            #expect(String(decoding: r.stderr, as: UTF8.self).contains("usage: cnc-net forward"), "\(args)")
        }
    }
}
