import CNCCore
import CShim
import Glibc

/// Builds one netlink message: a 16-byte nlmsghdr, a fixed family header, then attributes
/// (nested ones by `nest`). Lengths are patched in `finish`.
public struct NetlinkMessage: Sendable {
    public private(set) var bytes: [UInt8]
    private var nests: [Int] = []

    public init(type: UInt16, flags: UInt16, header: [UInt8]) {
        bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: type.littleEndian, toByteOffset: 4, as: UInt16.self)
            raw.storeBytes(of: flags.littleEndian, toByteOffset: 6, as: UInt16.self)
        }
        bytes += header
        pad()
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    public mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        let len = UInt16(4 + payload.count)
        bytes += Self.le16(len) + Self.le16(type) + payload
        pad()
    }

    public mutating func attribute(_ type: UInt16, u32 value: UInt32) { attribute(type, Self.le32(value)) }
    public mutating func attribute(_ type: UInt16, u8 value: UInt8) { attribute(type, [value]) }
    /// A NUL-terminated string attribute.
    public mutating func attribute(_ type: UInt16, string: String) { attribute(type, Array(string.utf8) + [0]) }

    /// Opens a nested attribute; close it with `endNest`.
    public mutating func beginNest(_ type: UInt16) {
        nests.append(bytes.count)
        bytes += Self.le16(0) + Self.le16(type)
    }

    public mutating func endNest() {
        guard let start = nests.popLast() else { return }
        let len = UInt16(bytes.count - start)
        bytes[start] = UInt8(len & 0xff)
        bytes[start + 1] = UInt8(len >> 8)
        pad()
    }

    /// Appends raw bytes (e.g. an embedded ifinfomsg inside VETH_INFO_PEER).
    public mutating func raw(_ payload: [UInt8]) {
        bytes += payload
        pad()
    }

    /// The final bytes with the total length and `seq` filled in.
    public func finish(seq: UInt32) -> [UInt8] {
        var out = bytes
        let len = UInt32(out.count)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: len.littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: seq.littleEndian, toByteOffset: 8, as: UInt32.self)
        }
        return out
    }

    public static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    public static func le32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)]
    }
}

/// One received netlink message: its type and payload (after the 16-byte header).
public struct NetlinkReply: Sendable {
    public var type: UInt16
    public var payload: [UInt8]

    /// Attributes following a fixed header of `headerLength` bytes: type (without flag bits) -> payload.
    public func attributes(after headerLength: Int) -> [UInt16: [UInt8]] {
        Netlink.parseAttributes(payload, from: headerLength)
    }
}

/// Pure netlink parsing helpers.
public enum Netlink {
    /// Splits a buffer holding netlink messages into (type, flags, seq, payload).
    public static func split(_ buf: ArraySlice<UInt8>) -> [(type: UInt16, flags: UInt16, seq: UInt32, payload: [UInt8])] {
        var out: [(UInt16, UInt16, UInt32, [UInt8])] = []
        var off = buf.startIndex
        while off + 16 <= buf.endIndex {
            let len = Int(u32(buf, off))
            guard len >= 16, off + len <= buf.endIndex else { break }
            out.append((u16(buf, off + 4), u16(buf, off + 6), u32(buf, off + 8), Array(buf[(off + 16)..<(off + len)])))
            off += (len + 3) & ~3
        }
        return out
    }

    /// Attributes in `data` starting at `start`: type (NLA_TYPE_MASK applied) -> payload. Later wins.
    public static func parseAttributes(_ data: [UInt8], from start: Int) -> [UInt16: [UInt8]] {
        var out: [UInt16: [UInt8]] = [:]
        var off = (start + 3) & ~3
        while off + 4 <= data.count {
            let len = Int(u16(data[...], off))
            let type = u16(data[...], off + 2) & 0x3fff
            guard len >= 4, off + len <= data.count else { break }
            out[type] = Array(data[(off + 4)..<(off + len)])
            off += (len + 3) & ~3
        }
        return out
    }

    public static func u16(_ b: ArraySlice<UInt8>, _ o: Int) -> UInt16 {
        UInt16(b[o]) | UInt16(b[o + 1]) << 8
    }

    public static func u32(_ b: ArraySlice<UInt8>, _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    /// A C string attribute payload without its NUL.
    public static func string(_ payload: [UInt8]) -> String {
        String(decoding: payload.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

/// A NETLINK_ROUTE socket, in the caller's network namespace or in another one.
public final class NetlinkSocket: @unchecked Sendable {
    // @unchecked: used by one caller at a time (an actor or a single thread); fd is immutable.
    public let fd: Int32
    private var seq: UInt32 = 1
    /// Names the namespace in errors ("host" or the netns path).
    public let where_: String

    /// A socket in the current network namespace.
    public init() throws {
        fd = try retryingEINTR("socket", path: "AF_NETLINK") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
        }
        where_ = "host"
        try bindAndTune()
    }

    /// A socket bound inside the network namespace `netnsFD` refers to (an fd on /proc/PID/ns/net
    /// or /run/netns/NAME). It is made on a short-lived thread that enters the namespace and
    /// exits, so no thread of this process stays switched.
    public init(netnsFD: Int32, label: String) throws {
        final class Box: @unchecked Sendable {
            let ns: Int32
            var fd: Int32 = -1
            var err: Int32 = 0
            var call = ""
            init(_ ns: Int32) { self.ns = ns }
        }
        let box = Box(netnsFD)
        let ctx = Unmanaged.passRetained(box).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            guard let raw else { return nil }
            let b = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            if cshim_setns(b.ns, Int32(CSHIM_CLONE_NEWNET)) != 0 {
                b.err = errno; b.call = "setns"
                return nil
            }
            b.fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0 /* NETLINK_ROUTE */)
            if b.fd < 0 { b.err = errno; b.call = "socket" }
            return nil
        }, ctx)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(ctx).release()
            throw SystemError.make("pthread_create", errno: rc, path: label)
        }
        pthread_join(tid, nil)
        if box.fd < 0 { throw SystemError.make(box.call, errno: box.err, path: label) }
        fd = box.fd
        where_ = label
        try bindAndTune()
    }

    private func bindAndTune() throws {
        let addr = Self.sockaddrNL
        let r = addr.withUnsafeBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
        // No close here: a throwing init of a class whose properties are all set runs deinit,
        // which closes fd (closing it here too closed it twice).
        if r != 0 { throw SystemError.make("bind", errno: errno, path: "netlink \(where_)") }
        var one: Int32 = 1
        // Extended acks give the kernel's reason text for EINVAL and friends.
        _ = setsockopt(fd, SOL_NETLINK, 11 /* NETLINK_EXT_ACK */, &one, socklen_t(4))
        _ = setsockopt(fd, SOL_NETLINK, 12 /* NETLINK_CAP_ACK */, &one, socklen_t(4))
    }

    deinit { Glibc.close(fd) }

    /// struct sockaddr_nl { sa_family_t nl_family = AF_NETLINK; pad; nl_pid = 0; nl_groups = 0 }
    /// (Glibc's Swift module does not export linux/netlink.h.)
    private static let sockaddrNL: [UInt8] = NetlinkMessage.le16(UInt16(AF_NETLINK)) + [0, 0] + [UInt8](repeating: 0, count: 8)

    /// Sends `message` with NLM_F_REQUEST|NLM_F_ACK and waits for the ack; throws the kernel's
    /// errno as a SystemError naming `what`. Returns replies that came before the ack.
    @discardableResult
    public func request(_ message: NetlinkMessage, what: String) throws -> [NetlinkReply] {
        try exchange(message, flags: 0x0005 /* REQUEST | ACK */, what: what)
    }

    /// Sends a dump request (NLM_F_REQUEST|NLM_F_DUMP) and collects every reply until DONE.
    public func dump(_ message: NetlinkMessage, what: String) throws -> [NetlinkReply] {
        try exchange(message, flags: 0x0301 /* REQUEST | DUMP */, what: what)
    }

    /// One request and its replies, up to NLMSG_DONE or the NLMSG_ERROR that acks (0) or fails it.
    private func exchange(_ message: NetlinkMessage, flags: UInt16, what: String) throws -> [NetlinkReply] {
        seq &+= 1
        let mySeq = seq
        var bytes = message.finish(seq: mySeq)
        bytes[6] |= UInt8(flags & 0xff)
        bytes[7] |= UInt8(flags >> 8)
        try send(bytes, what: what)
        var replies: [NetlinkReply] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try receive(&buf, what: what)
            for m in Netlink.split(buf[0..<n]) where m.seq == mySeq {
                if m.type == 3 { return replies } // NLMSG_DONE
                if m.type == 2 { // NLMSG_ERROR
                    let code = m.payload.count >= 4 ? Int32(bitPattern: Netlink.u32(m.payload[...], 0)) : 0
                    if code == 0 { return replies }
                    throw SystemError.make("netlink", errno: -code, path: what)
                }
                replies.append(NetlinkReply(type: m.type, payload: m.payload))
            }
        }
    }

    private func send(_ bytes: [UInt8], what: String) throws {
        let kernel = Self.sockaddrNL
        let n = try retryingEINTR("sendto", path: what) {
            bytes.withUnsafeBytes { b in
                kernel.withUnsafeBytes { k in
                    sendto(fd, b.baseAddress, b.count, 0, k.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(k.count))
                }
            }
        }
        if n != bytes.count { throw SystemError.make("sendto", errno: EIO, path: what) }
    }

    private func receive(_ buf: inout [UInt8], what: String) throws -> Int {
        try retryingEINTR("recv", path: what) {
            buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        }
    }
}

/// Opens namespace files (/proc/PID/ns/net, /run/netns/NAME) as close-on-exec fds.
public enum NamespaceFile {
    public static func open(_ path: String) throws -> Int32 {
        try retryingEINTR("open", path: path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// The inode of a namespace file, which identifies the namespace.
    public static func inode(_ path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }
}
