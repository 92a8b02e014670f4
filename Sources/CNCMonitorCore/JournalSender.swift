import Glibc

/// Sends log lines to journald over its native protocol (what sd_journal_sendv does: one
/// datagram per entry to /run/systemd/journal/socket, `KEY=value\n` fields, or `KEY\n`, a
/// little-endian 64-bit length and the bytes for a value with a newline). The monitor is a
/// static Glibc-only binary, so it speaks the documented protocol rather than link libsystemd.
public final class JournalSender {
    public static let socketPath = "/run/systemd/journal/socket"
    let fd: Int32
    let path: String
    /// The fields every entry carries (CONTAINER_ID, ..., SYSLOG_IDENTIFIER), encoded once.
    let common: [UInt8]

    public init(fields: [(String, String)], path: String = JournalSender.socketPath) {
        fd = UnixDatagram.socket()
        self.path = path
        var b: [UInt8] = []
        for (k, v) in fields { Self.append(k, Array(v.utf8), to: &b) }
        common = b
    }

    deinit { if fd >= 0 { close(fd) } }

    /// One entry: the line without its newline, PRIORITY 6 (info) for stdout and 3 (err) for
    /// stderr as docker's driver sends them, CONTAINER_PARTIAL_MESSAGE for a line cut short.
    public func send(_ stream: LogStream, _ line: ArraySlice<UInt8>) {
        let partial = line.last != 10
        let entry = Self.entry(stream, partial ? line : line.dropLast(), partial: partial, common: common)
        UnixDatagram.send(fd, to: path, entry)
    }

    /// The datagram for one line (tested byte for byte).
    public static func entry(_ stream: LogStream, _ message: ArraySlice<UInt8>, partial: Bool, common: [UInt8]) -> [UInt8] {
        var b: [UInt8] = []
        append("MESSAGE", Array(message), to: &b)
        append("PRIORITY", Array((stream == .stderr ? "3" : "6").utf8), to: &b)
        b += common
        if partial { append("CONTAINER_PARTIAL_MESSAGE", Array("true".utf8), to: &b) }
        return b
    }

    static func append(_ key: String, _ value: [UInt8], to b: inout [UInt8]) {
        b += Array(key.utf8)
        if value.contains(10) {
            b.append(10)
            var n = UInt64(value.count).littleEndian
            withUnsafeBytes(of: &n) { b += $0 }
        } else {
            b.append(UInt8(ascii: "="))
        }
        b += value
        b.append(10)
    }
}
