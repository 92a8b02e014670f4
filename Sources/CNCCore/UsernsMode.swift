/// One line of a uid_map/gid_map: `size` ids from `containerID` in the container are
/// `hostID`... on the host.
public struct IDMap: Codable, Hashable, Sendable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32
    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID; self.hostID = hostID; self.size = size
    }
    /// The line the kernel reads from /proc/PID/uid_map.
    public var line: String { "\(containerID) \(hostID) \(size)\n" }

    /// The container's id for host id `id` under `maps`; an id outside them is left as it is
    /// (the image's layers keep the container's own ids on disk).
    public static func containerID(forHost id: UInt32, in maps: [IDMap]) -> UInt32 {
        for m in maps where id >= m.hostID && UInt64(id) < UInt64(m.hostID) + UInt64(m.size) { return m.containerID + (id - m.hostID) }
        return id
    }

    /// The host id of container id `id` under `maps`; an id they do not map becomes the host
    /// id of the container's nobody (65534), or the overflow id 65534 if that is unmapped too.
    public static func hostID(forContainer id: UInt32, in maps: [IDMap]) -> UInt32 {
        func lookup(_ id: UInt32) -> UInt32? {
            for m in maps where id >= m.containerID && UInt64(id) < UInt64(m.containerID) + UInt64(m.size) { return m.hostID + (id - m.containerID) }
            return nil
        }
        return lookup(id) ?? lookup(65534) ?? 65534
    }
}

/// `--userns` / Compose `userns_mode` (podman's meanings): the host's user namespace (docker's
/// default), a new one with a range cnc allocates (`auto[:size=N]`; without a size, root-run
/// cnc gives 65,536 ids and rootless cnc sizes it from the image as podman does), or explicit
/// `CONTAINER:HOST:SIZE[,...]` mappings (the same for uids and gids).
public enum UsernsMode: Hashable, Sendable {
    case host
    /// nil: no `size=` given.
    case auto(size: UInt32?)
    case mapping([IDMap])
    /// Rootless only (podman's): the user's own id is not mapped into the container; its ids
    /// are the user's subordinate ones, container root the first of them.
    case noMap
    /// Rootless only (podman's): the user's own uid and gid are the same ids in the container
    /// (or `uid=`/`gid=` of `keep-id:uid=N,gid=N`), the rest of the container's ids are the
    /// user's subordinate ones.
    case keepID(uid: UInt32?, gid: UInt32?)

    public static let defaultSize: UInt32 = 65536
    static let invalid = "--userns: invalid USER mode"

    /// Docker's and podman's spellings; keep-id only means something rootless (podman refuses
    /// it for root the same way): `rootless` says whether cnc runs so.
    public init(parsing text: String, rootless: Bool = false) throws {
        switch text {
        case "", "host": self = .host; return
        case "auto", "private": self = .auto(size: nil); return
        case "keep-id", "nomap":
            guard rootless else { throw CNCError(.invalidArgument, "\(text) is only supported in rootless mode") }
            self = text == "keep-id" ? .keepID(uid: nil, gid: nil) : .noMap
            return
        default: break
        }
        if text.hasPrefix("keep-id:") {
            guard rootless else { throw CNCError(.invalidArgument, "keep-id is only supported in rootless mode") }
            var uid: UInt32?, gid: UInt32?
            for opt in text.dropFirst(8).split(separator: ",", omittingEmptySubsequences: false) {
                if opt.hasPrefix("uid="), let n = UInt32(opt.dropFirst(4)) { uid = n } else if opt.hasPrefix("gid="), let n = UInt32(opt.dropFirst(4)) { gid = n } else {
                    throw CNCError(.invalidArgument, "invalid --userns \"\(text)\": keep-id takes uid=N and gid=N")
                }
            }
            self = .keepID(uid: uid, gid: gid)
            return
        }
        if text.hasPrefix("auto:") {
            var size: UInt32?
            for opt in text.dropFirst(5).split(separator: ",", omittingEmptySubsequences: false) {
                guard opt.hasPrefix("size="), let n = UInt32(opt.dropFirst(5)), n > 0 else {
                    throw CNCError(.invalidArgument, "invalid --userns \"\(text)\": auto takes size=N (N > 0)")
                }
                size = n
            }
            self = .auto(size: size)
            return
        }
        var maps: [IDMap] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let f = part.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count == 3, let c = UInt32(f[0]), let h = UInt32(f[1]), let n = UInt32(f[2]), n > 0,
                  UInt64(c) + UInt64(n) <= UInt64(UInt32.max), UInt64(h) + UInt64(n) <= UInt64(UInt32.max) else {
                throw CNCError(.invalidArgument, Self.invalid)
            }
            maps.append(IDMap(containerID: c, hostID: h, size: n))
        }
        for (i, a) in maps.enumerated() {
            for b in maps[(i + 1)...] {
                func overlap(_ x: UInt32, _ y: UInt32) -> Bool { UInt64(x) < UInt64(y) + UInt64(b.size) && UInt64(y) < UInt64(x) + UInt64(a.size) }
                if overlap(a.containerID, b.containerID) || overlap(a.hostID, b.hostID) {
                    throw CNCError(.invalidArgument, "invalid --userns \"\(text)\": mappings overlap")
                }
            }
        }
        guard !maps.isEmpty else { throw CNCError(.invalidArgument, Self.invalid) }
        guard maps.contains(where: { $0.containerID == 0 }) else {
            throw CNCError(.invalidArgument, "invalid --userns \"\(text)\": the container's root (id 0) must be mapped")
        }
        self = .mapping(maps)
    }

    /// The canonical spelling (what `cnc inspect` shows as HostConfig.UsernsMode).
    public var text: String {
        switch self {
        case .host: return "host"
        case .auto(let size): return size.map { "auto:size=\($0)" } ?? "auto"
        case .noMap: return "nomap"
        case .mapping(let maps): return maps.map { "\($0.containerID):\($0.hostID):\($0.size)" }.joined(separator: ",")
        case .keepID(nil, nil): return "keep-id"
        case .keepID(let uid, let gid): return "keep-id:" + ([uid.map { "uid=\($0)" }, gid.map { "gid=\($0)" }].compactMap { $0 }).joined(separator: ",")
        }
    }

    public var isHost: Bool { self == .host }
}
