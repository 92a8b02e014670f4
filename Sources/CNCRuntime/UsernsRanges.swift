import CNCCore
import CNCSystem

/// `--userns auto`: each container gets its own slice of cnc's subordinate id range, recorded
/// in `<root>/userns-ranges` (one line per container: "OFFSET SIZE ID", changed under
/// `<root>/userns.lock`). A slice is given back only when its container is removed, so two
/// containers that exist at the same time never share a host id.
///
/// cnc's range is the `cnc` entry of /etc/subuid and /etc/subgid (podman's `containers`
/// user's convention) when there is one, else ids 100,000,000 up to 1,100,000,000: far above
/// the ids useradd hands out and the 100,000 + 65,536·n ranges it writes to /etc/subuid.
public struct UsernsRanges: Sendable {
    public struct Pool: Equatable, Sendable {
        public var uidStart: UInt32, gidStart: UInt32, size: UInt32
        public static let `default` = Pool(uidStart: 100_000_000, gidStart: 100_000_000, size: 1_000_000_000)
    }
    public struct Allocation: Equatable, Sendable {
        public var offset: UInt32, size: UInt32, id: String
    }

    public let root: String
    public let pool: Pool
    /// Whether a container still exists (its directory): a slice whose container is gone
    /// without a removal (a killed `--rm` run, a lost tmpfs) is given back at the next
    /// allocation. Containers allocate only once their directory exists.
    let exists: @Sendable (String) -> Bool
    public init(root: String, pool: Pool = UsernsRanges.hostPool(), exists: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.root = root; self.pool = pool; self.exists = exists
    }

    var file: String { root + "/userns-ranges" }
    var lock: String { root + "/userns.lock" }

    /// The `cnc` entries of /etc/subuid and /etc/subgid, else the default range.
    public static func hostPool(subuid: String = "/etc/subuid", subgid: String = "/etc/subgid") -> Pool {
        func entry(_ path: String) -> (UInt32, UInt32)? {
            guard let text = try? FileSystem.readText(path) else { return nil }
            for line in text.split(separator: "\n") {
                let f = line.split(separator: ":")
                if f.count == 3, f[0] == "cnc", let s = UInt32(f[1]), let n = UInt32(f[2]), n > 0, UInt64(s) + UInt64(n) <= UInt64(UInt32.max) { return (s, n) }
            }
            return nil
        }
        guard let u = entry(subuid), let g = entry(subgid) else { return .default }
        return Pool(uidStart: u.0, gidStart: g.0, size: min(u.1, g.1))
    }

    static func parse(_ text: String) -> [Allocation] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 3, let o = UInt32(f[0]), let n = UInt32(f[1]) else { return nil }
            return Allocation(offset: o, size: n, id: String(f[2]))
        }
    }

    static func render(_ all: [Allocation]) -> String { all.map { "\($0.offset) \($0.size) \($0.id)\n" }.joined() }

    /// The lowest gap of `size` ids among `taken` inside a pool of `poolSize`, or nil.
    static func firstFit(_ taken: [Allocation], size: UInt32, poolSize: UInt32) -> UInt32? {
        var next: UInt64 = 0
        for a in taken.sorted(by: { $0.offset < $1.offset }) {
            if UInt64(a.offset) >= next + UInt64(size) { break }
            next = max(next, UInt64(a.offset) + UInt64(a.size))
        }
        return next + UInt64(size) <= UInt64(poolSize) ? UInt32(next) : nil
    }

    public func allocations() -> [Allocation] { Self.parse((try? FileSystem.readText(file)) ?? "") }

    /// Gives container `id` a slice of `size` ids; its uid and gid maps (container 0 up).
    public func allocate(_ id: ContainerID, size: UInt32) throws -> (uid: [IDMap], gid: [IDMap]) {
        try FileLock.withLock(lock) {
            var all = allocations().filter { $0.id != id.rawValue && exists($0.id) }
            guard let offset = Self.firstFit(all, size: size, poolSize: pool.size) else {
                throw CNCError(.unsupported, "cannot allocate \(size) user namespace ids: cnc's range of \(pool.size) ids from \(pool.uidStart) is used up by \(all.count) containers")
            }
            all.append(Allocation(offset: offset, size: size, id: id.rawValue))
            try FileSystem.writeReplacing(Array(Self.render(all).utf8), to: file, mode: 0o600)
            return ([IDMap(containerID: 0, hostID: pool.uidStart + offset, size: size)],
                    [IDMap(containerID: 0, hostID: pool.gidStart + offset, size: size)])
        }
    }

    /// Gives container `id`'s slice back (nothing when it has none).
    public func release(_ id: ContainerID) {
        guard FileSystem.exists(file) else { return }
        _ = try? FileLock.withLock(lock) {
            let all = allocations()
            let kept = all.filter { $0.id != id.rawValue }
            if kept.count != all.count { try FileSystem.writeReplacing(Array(Self.render(kept).utf8), to: file, mode: 0o600) }
        }
    }
}
