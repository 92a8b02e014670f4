import CNCCore
import CShim
import Glibc

/// Rootless cnc's published ports on user networks, podman's rootlessport: cnc binds each host
/// port as the user in the host's network namespace (any address: `-p 8080:80` is 0.0.0.0) and
/// hands the sockets to this forwarder (`cnc-net forward`), which enters the rootless network
/// namespace and relays every TCP connection and UDP datagram to the container's address there.
/// As with rootlessport, the container sees the connection come from its network's gateway,
/// not from the client's address.
///
///     cnc-net forward NETNS_FD tcp:FD:ADDRESS:PORT udp:FD:ADDRESS:PORT ...
public enum PortForwarder {
    /// One published port: the bound host socket (`fd` in the forwarder) and where it goes.
    public struct Rule: Sendable, Equatable {
        public var proto: PortProtocol
        public var fd: Int32
        public var target: IPv4Address
        public var port: UInt16

        public init(proto: PortProtocol, fd: Int32, target: IPv4Address, port: UInt16) {
            self.proto = proto
            self.fd = fd
            self.target = target
            self.port = port
        }

        public var argument: String { "\(proto.rawValue):\(fd):\(target):\(port)" }

        public static func parse(_ text: String) -> Rule? {
            let f = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, let proto = PortProtocol(rawValue: f[0]), PortProtocol.publishable.contains(proto), let fd = Int32(f[1]), fd > 2,
                  let target = IPv4Address(f[2]), let port = UInt16(f[3]), port > 0 else { return nil }
            return Rule(proto: proto, fd: fd, target: target, port: port)
        }
    }

    public static let usage = "usage: cnc-net forward NETNS_FD (tcp|udp):FD:ADDRESS:PORT..."

    /// The forwarder's process: never returns (SIGTERM ends it).
    public static func main(_ args: [String]) -> Never {
        guard let first = args.first, let ns = Int32(first), ns > 2, args.count > 1 else { fail(usage) }
        var rules: [Rule] = []
        for a in args.dropFirst() {
            guard let r = Rule.parse(a) else { fail("cnc-net forward: bad rule \"\(a)\"; \(usage)") }
            rules.append(r)
        }
        // Single-threaded still: every thread made from here on shares this namespace, so the
        // sockets they open toward the containers are in it; the host sockets stay where they were bound.
        guard cshim_setns(ns, Int32(CSHIM_CLONE_NEWNET)) == 0 else { fail("cnc-net forward: setns: \(String(cString: strerror(errno)))") }
        _ = close(ns)
        signal(SIGPIPE, SIG_IGN)
        signal(SIGTERM, SIG_DFL)  // how cnc ends it, whatever the spawner ignored
        for r in rules {
            let flags = fcntl(r.fd, F_GETFL)
            _ = fcntl(r.fd, F_SETFL, flags & ~Int32(O_NONBLOCK))
            switch r.proto {
            case .tcp: Threads.detach { acceptLoop(r) }
            case .udp, .sctp: Threads.detach { UDPRelay(r).run() }  // (parse admits tcp and udp only)
            }
        }
        while true { pause() }
    }

    static func fail(_ message: String) -> Never {
        let bytes = Array((message + "\n").utf8)
        _ = write(2, bytes, bytes.count)
        exit(2)
    }

    /// A socket of this (the rootless) namespace connected to the rule's target; -1 on failure.
    static func connectTarget(_ r: Rule, type: Int32) -> Int32 {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = r.port.bigEndian
        sa.sin_addr.s_addr = r.target.value.bigEndian
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { _ = close(fd); return -1 }
        return fd
    }

    static func acceptLoop(_ r: Rule) {
        while true {
            let client = accept(r.fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE { usleep(errno == EMFILE ? 100_000 : 0); continue }
                return
            }
            Threads.detach {
                let upstream = connectTarget(r, type: Int32(SOCK_STREAM.rawValue))
                if upstream < 0 { _ = close(client); return }
                relay(client, upstream)
            }
        }
    }

    /// Copies both ways until both sides have closed (a side's end of data is passed on as a
    /// half-close), then closes both.
    static func relay(_ a: Int32, _ b: Int32) {
        defer { _ = close(a); _ = close(b) }
        var reading = [true, true]
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        let ends = [a, b]
        while reading[0] || reading[1] {
            var fds = [pollfd(fd: reading[0] ? a : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: reading[1] ? b : -1, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            for i in 0..<2 where reading[i] && fds[i].revents != 0 {
                let n = read(ends[i], buffer, 65_536)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    reading[i] = false
                    _ = shutdown(ends[1 - i], Int32(SHUT_WR))
                    continue
                }
                if !writeAll(ends[1 - i], buffer, n) { return }
            }
        }
    }

    static func writeAll(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int) -> Bool {
        var done = 0
        while done < count {
            let n = write(fd, p + done, count - done)
            if n < 0 { if errno == EINTR { continue }; return false }
            done += n
        }
        return true
    }
}

/// One published UDP port: a session per client address (a socket connected to the container,
/// whose replies go back to that client), ended after a minute without replies.
private final class UDPRelay: @unchecked Sendable {
    let rule: PortForwarder.Rule
    var sessions: [SessionKey: Int32] = [:]
    var lock = pthread_mutex_t()

    struct SessionKey: Hashable { let address: UInt32; let port: UInt16 }

    init(_ rule: PortForwarder.Rule) {
        self.rule = rule
        pthread_mutex_init(&lock, nil)
    }

    func run() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            var from = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(rule.fd, buffer, 65_536, 0, $0, &length) }
            }
            if n < 0 { if errno == EINTR { continue }; return }
            let key = SessionKey(address: from.sin_addr.s_addr, port: from.sin_port)
            pthread_mutex_lock(&lock)
            var session = sessions[key] ?? -1
            if session < 0 {
                session = PortForwarder.connectTarget(rule, type: Int32(SOCK_DGRAM.rawValue))
                if session >= 0 {
                    sessions[key] = session
                    let s = session
                    Threads.detach { self.replies(s, to: from, key: key) }
                }
            }
            if session >= 0 { _ = send(session, buffer, n, Int32(MSG_DONTWAIT)) }
            pthread_mutex_unlock(&lock)
        }
    }

    func replies(_ session: Int32, to client: sockaddr_in, key: SessionKey) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        var client = client
        while true {
            var p = pollfd(fd: session, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 60_000)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { break }
            let n = recv(session, buffer, 65_536, 0)
            if n < 0 { if errno == EINTR || errno == ECONNREFUSED { continue }; break }
            _ = withUnsafePointer(to: &client) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(rule.fd, buffer, n, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        pthread_mutex_lock(&lock)
        sessions[key] = nil
        _ = close(session)
        pthread_mutex_unlock(&lock)
    }
}
