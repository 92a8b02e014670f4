import CNCCore
import CShim
import Glibc

/// A D-Bus error reply: its name (org.freedesktop.systemd1.NoSuchUnit) and message.
public struct BusError: Error, CustomStringConvertible, Sendable {
    public let name: String
    public let message: String
    public let method: String
    public init(name: String, message: String, method: String) {
        self.name = name
        self.message = message
        self.method = method
    }
    public var description: String { "\(method): \(message)" + (name.isEmpty ? "" : " (\(name))") }

    public var isNoSuchUnit: Bool { name == "org.freedesktop.systemd1.NoSuchUnit" || name == "org.freedesktop.DBus.Error.UnknownObject" }
    public var isUnitExists: Bool { name == "org.freedesktop.systemd1.UnitExists" }
}

/// A D-Bus client connection over an AF_UNIX stream socket (EXTERNAL authentication, no fd
/// passing): to a peer directly (systemd's /run/systemd/private, as systemctl does as root) or
/// to a bus daemon (`bus`: Hello first). Calls can be sent and their replies collected later,
/// so a caller overlaps its own work with the peer's. Signals go to `onSignal` as they are read.
/// Not thread-safe: one thread at a time (SystemdBus holds a mutex around it).
public final class DBusConnection: @unchecked Sendable {
    public let fd: Int32
    var serial: UInt32 = 0
    var buffer: [UInt8] = []
    var replies: [UInt32: DBusMessage] = [:]
    public var onSignal: ((DBusMessage) -> Void)?

    /// Connects to `path` and authenticates as this process's user.
    public init(path: String, bus: Bool) throws {
        let fd = cshim_connect_stream(path)
        guard fd >= 0 else { throw SystemError.make("connect", errno: errno, path: path) }
        self.fd = fd
        let uid = String(Host.effectiveUserID)
        let hex = uid.utf8.map { b in String(b, radix: 16) }.joined()
        // BEGIN in the same write, as sd-bus does: the peer reads both lines at once, so it has
        // left authentication before a message can follow the OK. (A message sent after a
        // separate BEGIN can land in the server's read with it; systemd 252 then leaves it in
        // its buffer unanswered until more data comes.)
        try write(Array("\0AUTH EXTERNAL \(hex)\r\nBEGIN\r\n".utf8))
        let line = try readLine(deadline: Processes.monotonicNanos() + 25_000_000_000)
        guard line.hasPrefix("OK ") else { throw CNCError(.permissionDenied, "D-Bus authentication at \(path) refused: \(line)") }
        if bus {
            _ = try call(.call(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "Hello"))
        }
    }

    deinit { _ = Glibc.close(fd) }

    /// Sends `message` with the next serial; returns the serial (its reply's key).
    public func send(_ message: DBusMessage) throws -> UInt32 {
        var m = message
        serial &+= 1
        if serial == 0 { serial = 1 }
        m.serial = serial
        try write(m.encoded())
        return serial
    }

    /// The reply (return or error) to `serial`, reading until it comes or `deadline` (monotonic
    /// nanoseconds) passes.
    public func reply(to serial: UInt32, method: String, deadline: Int64) throws -> DBusMessage {
        while true {
            if let r = replies.removeValue(forKey: serial) {
                if r.kind == .error {
                    var body = r.reader
                    let text = r.signature.hasPrefix("s") ? ((try? body.string()) ?? "") : ""
                    throw BusError(name: r.errorName ?? "", message: text, method: method)
                }
                return r
            }
            guard try readMore(deadline: deadline) else {
                throw CNCError(.timeout, "no reply to \(method) from D-Bus in time")
            }
        }
    }

    /// send + reply.
    @discardableResult
    public func call(_ message: DBusMessage, timeoutNanos: Int64 = 25_000_000_000) throws -> DBusMessage {
        let s = try send(message)
        return try reply(to: s, method: message.member ?? "call", deadline: Processes.monotonicNanos() + timeoutNanos)
    }

    /// Reads what the peer sent (waiting until `deadline` for something) and dispatches every
    /// whole message; false when the deadline passed first.
    @discardableResult
    public func readMore(deadline: Int64) throws -> Bool {
        let left = deadline - Processes.monotonicNanos()
        if left <= 0 { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, Int32(min(left / 1_000_000 + 1, Int64(Int32.max))))
        if r < 0 { if errno == EINTR { return true }; throw SystemError.make("poll", errno: errno, path: "D-Bus connection") }
        if r == 0 { return Processes.monotonicNanos() < deadline }
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { if errno == EINTR || errno == EAGAIN { return true }; throw SystemError.make("read", errno: errno, path: "D-Bus connection") }
        if n == 0 { throw CNCError(.system, "the D-Bus peer closed the connection") }
        buffer.append(contentsOf: chunk[0..<n])
        while let size = try DBusMessage.totalSize(buffer[...]), buffer.count >= size {
            let m = try DBusMessage.decode(Array(buffer[0..<size]))
            buffer.removeFirst(size)
            switch m.kind {
            case .methodReturn, .error: if let rs = m.replySerial { replies[rs] = m }
            case .signal: onSignal?(m)
            case .methodCall: break
            }
        }
        return true
    }

    func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError.make("write", errno: errno, path: "D-Bus connection")
            }
            done += n
        }
    }

    /// One line of the authentication exchange (without its CRLF).
    func readLine(deadline: Int64) throws -> String {
        while true {
            if let i = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[0..<i], as: UTF8.self)
                buffer.removeFirst(i + 1)
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            var chunk = [UInt8](repeating: 0, count: 512)
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = deadline - Processes.monotonicNanos()
            guard left > 0, poll(&p, 1, Int32(left / 1_000_000 + 1)) != 0 else { throw CNCError(.timeout, "no D-Bus authentication reply") }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw CNCError(.system, "the D-Bus peer closed the connection during authentication") }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }
}
