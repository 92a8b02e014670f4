import Glibc

/// cnc-dns's event loop: one thread, one poll(2) over the inherited UDP and TCP sockets, the
/// TCP connections it accepted and one connected socket per forwarded query (UDP for a UDP
/// client, TCP for a TCP client, as Docker's resolver forwards in the client's protocol). Nothing
/// blocks: a slow client or a silent upstream costs a slot and a deadline, never the loop.
///
/// Records are re-read when their file changed (a stat per query: the network code replaces
/// the file by rename, so a join, leave or replacement is visible to the very next query).
/// The process ends when its pidfile stops naming it (the network code removed it, or the
/// state root is gone), besides SIGTERM from the network code.
public final class DNSServer {
    let config: DNSServerConfig
    var answerer: DNSAnswerer
    var records = DNSRecords()
    var recordsStamp: FileStamp?
    var hostUpstreams: [DNSUpstream] = []
    var resolvStamp: FileStamp?
    var forwards: [Forward] = []
    var connections: [Connection] = []
    var nextConnectionID = 0
    var buffer = [UInt8](repeating: 0, count: 65536)
    let started: Int64
    var nextPidfileCheck: Int64

    /// Bounds on what one resolver holds at once (a flood of queries or connections degrades
    /// to SERVFAIL / refused connections, never to unbounded memory).
    static let maxForwards = 512
    static let maxConnections = 128
    /// Per upstream server; Docker's is 4 s, but a client (glibc, musl, busybox) gives up on
    /// the whole lookup after ~5 s, so three servers must fit.
    static let forwardTimeout: Int64 = 1500
    static let connectionIdleTimeout: Int64 = 10_000
    static let pidfileCheckInterval: Int64 = 2000

    struct Forward {
        var fd: Int32
        var query: [UInt8]
        var id: UInt16
        var question: [UInt8]
        var servers: [DNSUpstream]
        var next: Int
        var deadline: Int64
        var client: Client
        var maxSize: Int
        /// Forwarded over TCP (the client asked over TCP): the length-prefixed query still to
        /// write, and what the server sent back so far.
        var tcp: Bool
        var pending: [UInt8] = []
        var input: [UInt8] = []
    }

    enum Client {
        case udp(sockaddr_in)
        case tcp(Int)
    }

    struct Connection {
        var id: Int
        var fd: Int32
        var input: [UInt8] = []
        var output: [UInt8] = []
        var deadline: Int64
    }

    public init(config: DNSServerConfig) {
        self.config = config
        answerer = DNSAnswerer(network: config.network, forwards: config.forwards)
        started = Self.now()
        nextPidfileCheck = started + Self.pidfileCheckInterval
        for fd in [config.udpFD, config.tcpFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    /// Serves until the pidfile no longer names this process.
    public func run() {
        while true {
            var fds: [pollfd] = [pollfd(fd: config.udpFD, events: Int16(POLLIN), revents: 0)]
            if connections.count < Self.maxConnections { fds.append(pollfd(fd: config.tcpFD, events: Int16(POLLIN), revents: 0)) }
            for c in connections {
                fds.append(pollfd(fd: c.fd, events: Int16(POLLIN) | (c.output.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
            }
            for f in forwards { fds.append(pollfd(fd: f.fd, events: Int16(POLLIN) | (f.pending.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)) }
            var deadline = nextPidfileCheck
            for f in forwards { deadline = min(deadline, f.deadline) }
            for c in connections { deadline = min(deadline, c.deadline) }
            let wait = Int32(clamping: max(0, deadline - Self.now()))
            let n = poll(&fds, nfds_t(fds.count), wait)
            if n < 0 && errno != EINTR { return }
            var ready: [Int32: Int16] = [:]
            for p in fds where p.revents != 0 { ready[p.fd] = p.revents }
            if ready[config.udpFD] != nil { readUDP() }
            if ready[config.tcpFD] != nil { acceptTCP() }
            serviceConnections(ready)
            serviceForwards(ready)
            let now = Self.now()
            expire(now: now)
            if now >= nextPidfileCheck {
                if !pidfileNamesSelf() { return }
                nextPidfileCheck = now + Self.pidfileCheckInterval
            }
        }
    }

    // MARK: - queries

    /// What to send back for `bytes` from `client` (nil: nothing now — dropped, or forwarded).
    func handle(_ bytes: [UInt8], from address: UInt32, client: Client, tcp: Bool) -> [UInt8]? {
        switch DNSQuery.parse(bytes) {
        case .ignore: return nil
        case .error(let reply): return reply
        case .query(let q):
            reloadRecords()
            let maxSize = DNSAnswerer.maxSize(for: q, tcp: tcp)
            switch answerer.decide(q, client: address, records: records, maxSize: maxSize, shuffle: { $0.shuffled() }) {
            case .reply(let r): return r
            case .forward(let own):
                let servers = own ?? upstreams()
                if servers.isEmpty || forwards.count >= Self.maxForwards {
                    return DNSReply.answer(q, rcode: DNSRcode.serverFailure, records: [], maxSize: maxSize)
                }
                var f = Forward(fd: -1, query: bytes, id: q.id, question: q.question, servers: servers, next: 0,
                                deadline: 0, client: client, maxSize: maxSize, tcp: tcp)
                if send(&f) { forwards.append(f); return nil }
                return DNSReply.answer(q, rcode: DNSRcode.serverFailure, records: [], maxSize: maxSize)
            }
        }
    }

    func readUDP() {
        for _ in 0..<64 {
            var sa = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = buffer.withUnsafeMutableBytes { buf in
                withUnsafeMutablePointer(to: &sa) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(config.udpFD, buf.baseAddress, buf.count, 0, $0, &len) }
                }
            }
            if n < 0 { return }
            let from = UInt32(bigEndian: sa.sin_addr.s_addr)
            if let reply = handle(Array(buffer[0..<n]), from: from, client: .udp(sa), tcp: false) { sendUDP(reply, to: sa) }
        }
    }

    func sendUDP(_ bytes: [UInt8], to sa: sockaddr_in) {
        var sa = sa
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(config.udpFD, b.baseAddress, b.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Delivers a reply to whoever asked: a datagram, or a length-prefixed message on its connection.
    func deliver(_ bytes: [UInt8], to client: Client) {
        switch client {
        case .udp(let sa): sendUDP(bytes, to: sa)
        case .tcp(let id):
            guard let i = connections.firstIndex(where: { $0.id == id }), bytes.count <= 65535 else { return }
            connections[i].output += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
            flush(&connections[i])
        }
    }

    // MARK: - state files

    func reloadRecords() {
        let stamp = FileStamp(config.recordsPath)
        guard stamp != recordsStamp || stamp == nil else { return }
        recordsStamp = stamp
        records = stamp == nil ? DNSRecords() : DNSRecords.parse(Self.readText(config.recordsPath) ?? "")
    }

    func upstreams() -> [DNSUpstream] {
        if let fixed = config.upstreamOverride { return fixed }
        let stamp = FileStamp(config.resolvConfPath)
        if stamp != resolvStamp {
            resolvStamp = stamp
            hostUpstreams = DNSUpstream.fromResolvConf(Self.readText(config.resolvConfPath) ?? "", excluding: config.address)
        }
        return hostUpstreams
    }

    func pidfileNamesSelf() -> Bool {
        guard let text = Self.readText(config.pidfile), let first = text.split(separator: " ").first,
              let pid = Int32(first.split(separator: "\n").first ?? "") else { return false }
        return pid == getpid()
    }

    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        while out.count < 16 << 20 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Identifies one version of a file (the network code replaces files by rename, so the inode
/// changes; mtime and size catch an in-place edit of resolv.conf).
struct FileStamp: Equatable {
    var inode: UInt64
    var size: Int64
    var mtime: Int64
    var ctime: Int64

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
    }
}
