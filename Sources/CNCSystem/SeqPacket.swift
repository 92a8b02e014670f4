import CNCCore
import CShim
import Glibc

/// A client of an AF_UNIX SOCK_SEQPACKET socket (a container monitor's attach socket): one
/// message per send, message boundaries kept.
public final class SeqPacketConnection: @unchecked Sendable {
    // @unchecked: used by one thread.
    public let fd: Int32

    /// Connects to `path` (any length: a long one is reached through its directory's fd).
    public init(path: String) throws {
        let fd = cshim_connect_seqpacket(path)
        guard fd >= 0 else { throw SystemError.make("connect", errno: errno, path: path) }
        self.fd = fd
    }

    deinit { _ = Glibc.close(fd) }

    public func send(_ message: [UInt8]) throws {
        let n = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n < 0 && errno != EINTR { throw SystemError.make("send", errno: errno, path: "attach socket") }
    }

    /// The next message; nil once the peer has closed the connection (or on an error).
    public func receive(maxSize: Int) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: maxSize)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            return Array(buf[0..<n])
        }
    }
}

/// poll(2) for the CLI's relay loops.
public enum Poll {
    public struct Ready: Sendable { public var readable: Bool; public var hangup: Bool }

    /// Waits until one of `fds` is readable (or hung up), for at most `timeoutMilliseconds`
    /// (-1: no limit); one answer per fd, in order. EINTR counts as nothing ready.
    public static func readable(_ fds: [Int32], timeoutMilliseconds: Int32) -> [Ready] {
        var p = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let r = poll(&p, nfds_t(p.count), timeoutMilliseconds)
        if r <= 0 { return fds.map { _ in Ready(readable: false, hangup: false) } }
        return p.map {
            Ready(readable: $0.revents & Int16(POLLIN) != 0,
                  hangup: $0.revents & (Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)) != 0)
        }
    }
}

extension Terminal {
    /// The window size of terminal `fd` (rows, columns); nil when it is not a terminal.
    public static func size(_ fd: Int32) -> (rows: UInt16, columns: UInt16)? {
        var rows: UInt16 = 0, cols: UInt16 = 0
        return cshim_tty_get_size(fd, &rows, &cols) == 0 ? (rows, cols) : nil
    }
}
