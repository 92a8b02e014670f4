import CNCCore

/// Which cgroup hierarchies a host has mounted, discovered from /proc/self/mountinfo: the
/// facts every CgroupManager and `cnc info` start from. Pure: tests feed it fixture text.
public struct CgroupLayout: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable {
        /// Only cgroup v1 hierarchies.
        case v1
        /// Only the unified cgroup v2 hierarchy.
        case v2
        /// v1 controller hierarchies plus a cgroup2 mount (usually /sys/fs/cgroup/unified).
        case hybrid
        /// No cgroup file system mounted.
        case none
    }

    /// One mounted v1 hierarchy: its mount point and the controllers bound to it.
    public struct V1Hierarchy: Sendable, Codable, Equatable {
        public var mountPoint: String
        /// Controllers, e.g. ["cpu", "cpuacct"]; a named hierarchy has none and a `name`.
        public var controllers: [String]
        public var name: String?
        /// The path of the mount's root inside the hierarchy (mountinfo field 4).
        public var root: String
    }

    public var mode: Mode
    public var v1: [V1Hierarchy]
    /// Where cgroup2 is mounted, if it is.
    public var unifiedMountPoint: String?
    /// Controllers enabled in the cgroup2 hierarchy (its root's cgroup.controllers).
    public var unifiedControllers: [String]

    /// The v1 hierarchy that carries `controller`, if any.
    public func v1Hierarchy(for controller: String) -> V1Hierarchy? {
        v1.first { $0.controllers.contains(controller) }
    }

    /// Every controller available, and whether it is on v1 or v2.
    public var controllerPlacement: [String: Mode] {
        var out: [String: Mode] = [:]
        for c in unifiedControllers { out[c] = .v2 }
        for h in v1 { for c in h.controllers { out[c] = .v1 } }
        return out
    }

    /// The controllers a container needs for the limits cnc supports.
    public static let neededControllers = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"]

    /// Needed controllers that are on neither hierarchy (v2 names cpuacct/blkio/devices/freezer
    /// differently: cpu covers cpuacct, io covers blkio, devices is eBPF, freezer is cgroup.freeze).
    public var missingControllers: [String] {
        let placement = controllerPlacement
        let v2Equivalent = ["cpuacct": "cpu", "blkio": "io", "devices": "", "freezer": ""]
        return Self.neededControllers.filter { c in
            if placement[c] != nil { return false }
            if let eq = v2Equivalent[c], unifiedMountPoint != nil, eq.isEmpty || placement[eq] == .v2 { return false }
            return true
        }
    }

    /// Parses mountinfo text. `readFile` returns a file's text (or nil) and is used for the
    /// cgroup2 root's cgroup.controllers.
    public static func discover(mountinfo: String, readFile: (String) -> String?) -> CgroupLayout {
        var v1: [V1Hierarchy] = []
        var unified: String?
        for line in mountinfo.split(separator: "\n") {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 7, let dash = fields.firstIndex(of: "-"), dash + 3 <= fields.count else { continue }
            let fsType = fields[dash + 1]
            let mountPoint = unescapeMountinfo(String(fields[4]))
            let root = unescapeMountinfo(String(fields[3]))
            if fsType == "cgroup2" {
                if unified == nil { unified = mountPoint }
            } else if fsType == "cgroup" {
                let superOpts = dash + 3 < fields.count ? fields[dash + 3].split(separator: ",") : []
                var controllers: [String] = []
                var name: String?
                for opt in superOpts {
                    if opt.hasPrefix("name=") { name = String(opt.dropFirst(5)); continue }
                    if knownV1Controllers.contains(String(opt)) { controllers.append(String(opt)) }
                }
                // A hierarchy can be mounted twice; keep the first mount.
                if v1.contains(where: { $0.controllers == controllers && $0.name == name }) { continue }
                v1.append(V1Hierarchy(mountPoint: mountPoint, controllers: controllers.sorted(), name: name, root: root))
            }
        }
        var unifiedControllers: [String] = []
        if let unified, let text = readFile(unified + "/cgroup.controllers") {
            unifiedControllers = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init).sorted()
        }
        let hasV1Controllers = v1.contains { !$0.controllers.isEmpty }
        let mode: Mode
        switch (hasV1Controllers, unified != nil) {
        case (true, true): mode = .hybrid
        case (true, false): mode = .v1
        case (false, true): mode = .v2
        case (false, false): mode = v1.isEmpty ? .none : .v1
        }
        return CgroupLayout(mode: mode, v1: v1, unifiedMountPoint: unified, unifiedControllers: unifiedControllers)
    }

    static let knownV1Controllers: Set<String> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio", "perf_event",
        "net_prio", "hugetlb", "pids", "rdma", "misc",
    ]

    /// mountinfo escapes space, tab, newline and backslash as \040 etc.
    static func unescapeMountinfo(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 3 < u.count,
               let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
