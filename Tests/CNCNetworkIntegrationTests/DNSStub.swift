import CNCDNSCore
import Foundation
import Glibc
import Synchronization

/// A DNS server the test itself runs on a 127.0.0.0/8 address, standing in for the host's
/// resolvers (no test ever queries those): answers every query with one A record, or stays
/// silent; remembers the names it was asked.
final class StubDNSServer: Sendable {
    let address: String
    let port: UInt16
    private let fd: Int32
    private let asked = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)
    private let done = Atomic<Bool>(false)

    /// `port` 0 takes a free one. `answer`: the address every query gets; nil never answers.
    init(address: String, port: UInt16 = 0, answer: String?) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var sa = Self.socketAddress(address, port)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        self.fd = fd
        self.address = address
        self.port = UInt16(bigEndian: sa.sin_port)
        let reply = answer.flatMap(IPv4.parse)
        Thread.detachNewThread { [self] in serve(answer: reply) }
    }

    /// "127.0.0.x:port", the form CNC_DNS_UPSTREAM takes.
    var upstream: String { "\(address):\(port)" }
    var names: [String] { asked.withLock { $0 } }

    func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        while !done.load(ordering: .sequentiallyConsistent) { usleep(10_000) }
        close(fd)
    }

    private func serve(answer: UInt32?) {
        var buf = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .sequentiallyConsistent) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            var from = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = buf.withUnsafeMutableBytes { b in
                withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &len) } }
            }
            guard n > 0, case .query(let q) = DNSQuery.parse(Array(buf[0..<n])) else { continue }
            asked.withLock { $0.append(q.lowercasedName ?? "?") }
            guard let answer else { continue }
            let reply = DNSReply.answer(q, records: q.type == DNSType.a ? [.a(answer)] : [], ttl: 30)
            _ = reply.withUnsafeBytes { r in
                withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, r.baseAddress, r.count, 0, $0, len) } }
            }
        }
        done.store(true, ordering: .sequentiallyConsistent)
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
    var q: [UInt8] = [0x4a, 0x11, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
    for label in name.split(separator: ".") { q.append(UInt8(label.utf8.count)); q += label.utf8 }
    q += [0, UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
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
