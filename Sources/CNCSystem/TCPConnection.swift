import CNCCore
import Glibc

/// A blocking TCP connection (IPv4/IPv6) for plain-HTTP registry traffic: large writes,
/// sendfile(2) for file bodies, timeouts on both directions.
public final class TCPConnection: @unchecked Sendable {
    // @unchecked: used by one thread at a time; fd is immutable until close().
    private var fd: Int32
    public let peer: String

    /// Connects to `host`:`port` (first address that answers), with `timeout` seconds for connect and I/O.
    public init(host: String, port: Int, timeout: Int = 60) throws {
        peer = "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let first = res else {
            throw CNCError(.network, "failed to resolve \(host)", cause: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(first) }
        var lastErrno: Int32 = ECONNREFUSED
        var cur: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        while let ai = cur {
            let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            if s >= 0 {
                var tv = timeval(tv_sec: timeout, tv_usec: 0)
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { connected = s; break }
                lastErrno = errno
                Glibc.close(s)
            } else {
                lastErrno = errno
            }
            cur = ai.pointee.ai_next
        }
        guard connected >= 0 else { throw SystemError.make("connect", errno: lastErrno, path: peer) }
        fd = connected
    }

    /// A connection `accept` returned, with `timeout` seconds for each read and write.
    init(accepted fd: Int32, peer: String, timeout: Int) {
        self.fd = fd
        self.peer = peer
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    public func send(_ buf: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < buf.count {
            let n = Glibc.send(fd, buf.baseAddress! + off, buf.count - off, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError.make("send", errno: errno, path: peer)
            }
            off += n
        }
    }

    public func send(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try send($0) } }

    /// Sends `count` bytes of the open file `fileFD` from its start, in the kernel (sendfile).
    public func sendFile(_ fileFD: Int32, count: Int64) throws {
        var offset: off_t = 0
        while Int64(offset) < count {
            let n = sendfile(fd, fileFD, &offset, Int(min(count - Int64(offset), 1 << 30)))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError.make("sendfile", errno: errno, path: peer)
            }
            if n == 0 { throw CNCError(.io, "file shorter than \(count) bytes while sending to \(peer)") }
        }
    }

    /// Reads up to `buf.count` bytes; 0 when the peer closed.
    public func receive(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = recv(fd, buf.baseAddress, buf.count, 0)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SystemError.make("recv", errno: errno, path: peer)
        }
    }
}
