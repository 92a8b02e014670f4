import CNCDNSCore
import Foundation
import Glibc
import Synchronization

/// A DNS server the test itself runs on a 127.0.0.0/8 address, standing in for the host's
/// resolvers (no test ever queries those): answers every query with `answers` A records (the
/// answer address and those after it), or stays silent; over UDP and, on the same port, TCP;
/// remembers the names it was asked (TCP ones in `tcpNames` as well). Its UDP answers ignore the
/// client's size, as a careless upstream may.
final class StubDNSServer: Sendable {
    let address: String
    let port: UInt16
    private let fd: Int32
    private let tcpFD: Int32
    private let asked = Mutex<[String]>([])
    private let askedOverTCP = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)

    /// `port` 0 takes a free one. `answer`: the first address every query gets; nil never answers.
    init(address: String, port: UInt16 = 0, answer: String?, answers: Int = 1) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var sa = Self.socketAddress(address, port)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        _ = setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let listening = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { tcp >= 0 && bind(tcp, $0, len) == 0 && listen(tcp, 16) == 0 }
        }
        guard listening else { close(fd); if tcp >= 0 { close(tcp) }; throw POSIXError(.EADDRINUSE) }
        self.fd = fd
        self.tcpFD = tcp
        self.address = address
        self.port = UInt16(bigEndian: sa.sin_port)
        let first = answer.flatMap(IPv4.parse)
        Thread.detachNewThread { [self] in serve(answer: first, count: answers) }
    }

    /// "127.0.0.x:port", the form CNC_DNS_UPSTREAM takes.
    var upstream: String { "\(address):\(port)" }
    var names: [String] { asked.withLock { $0 } }
    var tcpNames: [String] { askedOverTCP.withLock { $0 } }

    func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        while !done.load(ordering: .sequentiallyConsistent) { usleep(10_000) }
        close(fd)
        close(tcpFD)
    }

    private func reply(to message: [UInt8], answer: UInt32?, count: Int, tcp: Bool) -> [UInt8]? {
        guard case .query(let q) = DNSQuery.parse(message) else { return nil }
        asked.withLock { $0.append(q.lowercasedName ?? "?") }
        if tcp { askedOverTCP.withLock { $0.append(q.lowercasedName ?? "?") } }
        guard let answer else { return nil }
        let records: [DNSReply.Record] = q.type == DNSType.a ? (0..<UInt32(count)).map { .a(answer &+ $0) } : []
        return DNSReply.answer(q, records: records, ttl: 30, maxSize: 65535)
    }

    private func serve(answer: UInt32?, count: Int) {
        var buf = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .sequentiallyConsistent) {
            var p = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: tcpFD, events: Int16(POLLIN), revents: 0)]
            guard poll(&p, 2, 50) > 0 else { continue }
            if p[1].revents != 0 { serveTCP(answer: answer, count: count) }
            guard p[0].revents != 0 else { continue }
            var from = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = buf.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) } }
            }
            guard n > 0, let reply = reply(to: Array(buf[0..<n]), answer: answer, count: count, tcp: false) else { continue }
            _ = reply.withUnsafeBytes { r in
                withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, r.baseAddress, r.count, 0, $0, len) } }
            }
        }
        done.store(true, ordering: .sequentiallyConsistent)
    }

    /// One connection, one length-prefixed query and its answer (bounded by a 2 s receive timeout).
    private func serveTCP(answer: UInt32?, count: Int) {
        let c = accept(tcpFD, nil, nil)
        guard c >= 0 else { return }
        defer { close(c) }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var input: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while input.count < 2 || input.count < 2 + (Int(input[0]) << 8 | Int(input[1])) {
            let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            input += buf[0..<n]
        }
        let size = Int(input[0]) << 8 | Int(input[1])
        guard let reply = reply(to: Array(input[2..<(2 + size)]), answer: answer, count: count, tcp: true) else { return }
        let framed = [UInt8(reply.count >> 8), UInt8(reply.count & 0xff)] + reply
        _ = framed.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    static func socketAddress(_ address: String, _ port: UInt16) -> sockaddr_in {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr.s_addr = (IPv4.parse(address) ?? 0).bigEndian
        return sa
    }
}

/// Asks `server`:53 (an address of a bridge this test made) over UDP, as a client on the host.
/// Returns the A addresses of the answer and its rcode; nil when no answer came within 3 s.
func askDNS(_ name: String, type: UInt16 = DNSType.a, server: String) -> (rcode: UInt8, addresses: [String])? {
    let q = dnsQuery(name, type: type)
    guard let r = udpExchange(q, server: server), r.count >= 12 else { return nil }
    var at = q.count
    var out: [String] = []
    for _ in 0..<(Int(r[6]) << 8 | Int(r[7])) {
        guard at + 12 <= r.count else { break }
        let t = UInt16(r[at + 2]) << 8 | UInt16(r[at + 3]), len = Int(r[at + 10]) << 8 | Int(r[at + 11])
        if t == DNSType.a, len == 4, at + 16 <= r.count { out.append(r[(at + 12)..<(at + 16)].map(String.init).joined(separator: ".")) }
        at += 12 + len
    }
    return (r[3] & 0x0f, out.sorted())
}

/// A query for `name` (ID 0x4a11, RD set, no EDNS: a 512-byte UDP client).
func dnsQuery(_ name: String, type: UInt16 = DNSType.a) -> [UInt8] {
    var q: [UInt8] = [0x4a, 0x11, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
    for label in name.split(separator: ".") { q.append(UInt8(label.utf8.count)); q += label.utf8 }
    return q + [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
}

/// Sends one length-prefixed query to `server`:53 over TCP and reads its answer (3 s at most).
func tcpExchange(_ message: [UInt8], server: String) -> [UInt8]? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 3, tv_usec: 0)
    _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var sa = StubDNSServer.socketAddress(server, 53)
    let connected = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else { return nil }
    let framed = [UInt8(message.count >> 8), UInt8(message.count & 0xff)] + message
    guard framed.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == framed.count else { return nil }
    var input: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while input.count < 2 || input.count < 2 + (Int(input[0]) << 8 | Int(input[1])) {
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return nil }
        input += buf[0..<n]
    }
    return Array(input[2..<(2 + (Int(input[0]) << 8 | Int(input[1])))])
}

/// Sends one datagram to `server`:53 and waits up to 3 s for one back.
func udpExchange(_ message: [UInt8], server: String, wait: Bool = true) -> [UInt8]? {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var sa = StubDNSServer.socketAddress(server, 53)
    let sent = message.withUnsafeBytes { m in
        withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, m.baseAddress, m.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
    guard sent == message.count, wait else { return nil }
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&p, 1, 3000) > 0 else { return nil }
    var buf = [UInt8](repeating: 0, count: 4096)
    let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return n > 0 ? Array(buf[0..<n]) : nil
}

/// The pid a network's cnc-dns pidfile names, if that process runs.
func runningResolver(root: String, networkID: String) -> Int32? {
    guard let text = try? String(contentsOfFile: "\(root)/networks/dns/\(networkID.prefix(16)).pid", encoding: .utf8),
          let pid = text.split(separator: " ").first.flatMap({ Int32($0) }) else { return nil }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z") ? nil : pid
}

/// Pids of cnc-dns processes serving anything under `root` (none may outlive a test).
func resolversOf(root: String) -> [Int32] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
        guard let cmd = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
        let text = String(decoding: cmd, as: UTF8.self)
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let zombie = stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
        return !zombie && text.hasPrefix("cnc-dns") && text.contains(root + "/")
    }
}
