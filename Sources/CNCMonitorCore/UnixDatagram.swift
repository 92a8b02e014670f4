import Glibc

/// Datagrams to a unix socket by path: journald's socket, systemd's NOTIFY_SOCKET (whose
/// name may be abstract: a leading "@" stands for the NUL byte).
public enum UnixDatagram {
    public static func socket() -> Int32 {
        Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    /// Sends `bytes` from `fd` to `path`; false when it could not be sent.
    @discardableResult
    public static func send(_ fd: Int32, to path: String, _ bytes: [UInt8]) -> Bool {
        guard fd >= 0 else { return false }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let name = Array(path.utf8)
        let length = withUnsafeMutableBytes(of: &addr.sun_path) { raw -> Int in
            let n = min(name.count, raw.count - 1)
            for i in 0..<n { raw[i] = name[i] }
            if name.first == UInt8(ascii: "@") { raw[0] = 0 }
            return n
        }
        // An abstract name's length counts exactly; a path's includes its NUL.
        let size = MemoryLayout<sa_family_t>.size + length + (name.first == UInt8(ascii: "@") ? 0 : 1)
        let n = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, b.baseAddress, b.count, Int32(MSG_NOSIGNAL), $0, socklen_t(size))
                }
            }
        }
        return n == bytes.count
    }
}
