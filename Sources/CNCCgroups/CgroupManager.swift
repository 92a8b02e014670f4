import CNCCore
import CNCSystem

/// Creates, limits, inspects and removes container cgroups. Paths are relative to each
/// hierarchy's root, e.g. "cnc/<id>". One interface for every driver: cgroupfs v1 and v2 here,
/// systemd in SystemdCgroupManager (it turns `path` into the scope `cnc-<id>.scope`).
public protocol CgroupManager: Sendable {
    var kind: CgroupDriverKind { get }
    /// True when a process can join only through `addProcess` (systemd makes the scope with its
    /// first process): nobody may write `procsFiles` before that (a monitor hands the pid over).
    var joinsThroughManager: Bool { get }
    /// Creates the cgroup (and its parents) and applies `limits`.
    func create(_ path: String, limits: CgroupLimits) throws
    /// Changes limits of an existing cgroup in place (`cnc update`).
    func update(_ path: String, limits: CgroupLimits) throws
    /// Moves `pid` into the cgroup.
    func addProcess(_ pid: Int32, to path: String) throws
    /// Starts moving `pid` into the cgroup and returns what completes it: the caller works on
    /// meanwhile (systemd makes a scope while init sets up) and calls it before `pid` may run
    /// the workload. Default: addProcess at once.
    func beginAddProcess(_ pid: Int32, to path: String) throws -> @Sendable () throws -> Void
    /// Every cgroup.procs file a new process must be written to (the monitor does it itself).
    func procsFiles(_ path: String) -> [String]
    /// The file and key whose counter grows on each OOM kill in the cgroup.
    func oomCounter(_ path: String) -> (file: String, key: String)?
    /// The pids in the cgroup.
    func processes(_ path: String) -> [Int32]
    func stats(_ path: String) throws -> CgroupStats
    func freeze(_ path: String) throws
    func thaw(_ path: String) throws
    func isFrozen(_ path: String) -> Bool
    /// Kills what is left inside and removes the cgroup; a missing cgroup is fine (crash recovery).
    /// cnc's own parent (`cnc/`) goes too once empty, unless `keepParents` (see removeKeepingParents).
    func remove(_ path: String, keepParents: Bool) throws
    /// True when the cgroup exists in any hierarchy.
    func exists(_ path: String) -> Bool
    /// What the container sees at /sys/fs/cgroup (read-only, as Docker shows it): its own
    /// cgroup directory of each hierarchy it is in.
    func containerView(_ path: String) -> CgroupView
    /// Why `limits` cannot be had at all (rootless without delegation), checked before a
    /// container is made; nil when they can.
    func refusal(_ limits: CgroupLimits) -> CNCError?
}

/// /sys/fs/cgroup inside a container. v1: a tmpfs with one directory per hierarchy (named as
/// on the host, "cpu,cpuacct") bound from the container's cgroup, and a symlink per
/// co-mounted controller ("cpu" -> "cpu,cpuacct"). v2: the container's cgroup bound there.
public struct CgroupView: Sendable, Equatable {
    public var binds: [(source: String, name: String)]
    public var links: [(name: String, target: String)]
    /// v2: `binds` has one entry, bound on /sys/fs/cgroup itself.
    public var unified: Bool

    public init(binds: [(source: String, name: String)], links: [(name: String, target: String)] = [], unified: Bool = false) {
        self.binds = binds; self.links = links; self.unified = unified
    }

    public static func == (a: CgroupView, b: CgroupView) -> Bool {
        a.unified == b.unified && a.binds.map { [$0.source, $0.name] } == b.binds.map { [$0.source, $0.name] }
            && a.links.map { [$0.name, $0.target] } == b.links.map { [$0.name, $0.target] }
    }
}

/// Picks the cgroupfs implementation that fits a layout.
public enum CgroupManagers {
    /// v2 when the needed controllers live on the unified hierarchy, else v1 (also for hybrid
    /// hosts like this one, where cgroup2 carries only hugetlb).
    public static func cgroupfs(layout: CgroupLayout) throws -> any CgroupManager {
        switch layout.mode {
        case .v2: return CgroupfsV2(mountPoint: layout.unifiedMountPoint ?? "/sys/fs/cgroup")
        case .v1, .hybrid:
            if layout.v1.contains(where: { !$0.controllers.isEmpty }) { return CgroupfsV1(layout: layout) }
            if let u = layout.unifiedMountPoint { return CgroupfsV2(mountPoint: u) }
            throw CNCError(.unsupported, "no cgroup controllers mounted")
        case .none:
            throw CNCError(.unsupported, "no cgroup file system is mounted (see /proc/self/mountinfo)")
        }
    }

    /// The host's layout from /proc/self/mountinfo, read once per process (the cgroup mounts
    /// of the host do not change under a running command).
    public static func hostLayout() -> CgroupLayout { discoveredHostLayout }

    /// Rootless (inside the user's namespaces): why the user has no cgroup of its own to manage,
    /// or nil when it has (cgroup v2 with delegated controllers and a systemd user session:
    /// RootlessCgroups).
    public static func rootlessProblem(layout: CgroupLayout) -> String? {
        if case .undelegated(let reason) = rootlessDecision(layout: layout) { return reason }
        return nil
    }

    /// RootlessCgroups.decide on this host, for the user cnc runs as rootless.
    public static func rootlessDecision(layout: CgroupLayout) -> RootlessCgroups.Decision {
        RootlessCgroups.decide(layout: layout, uid: Rootless.hostUID ?? Host.effectiveUserID, procSelfCgroup: (try? FileSystem.readText("/proc/self/cgroup")) ?? "",
                               xdgRuntimeDir: Host.environment("XDG_RUNTIME_DIR"), read: { try? FileSystem.readText($0) }, exists: FileSystem.exists)
    }

    private static let discoveredHostLayout: CgroupLayout = {
        let mountinfo = (try? FileSystem.readText("/proc/self/mountinfo")) ?? ""
        return CgroupLayout.discover(mountinfo: mountinfo) { try? FileSystem.readText($0) }
    }()

    /// Validates a cgroup path: relative, no "..", no empty parts.
    public static func validate(_ path: String) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.isEmpty, !path.hasPrefix("/"), parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw CNCError(.invalidArgument, "invalid cgroup path \"\(path)\": want relative parts like cnc/<id>")
        }
    }
}

extension CgroupManager {
    public var joinsThroughManager: Bool { false }
    public func refusal(_ limits: CgroupLimits) -> CNCError? { nil }

    public func beginAddProcess(_ pid: Int32, to path: String) throws -> @Sendable () throws -> Void {
        try addProcess(pid, to: path)
        return {}
    }

    /// Removes the cgroup and, once empty, cnc's own parent (`cnc rm`: after removing every
    /// container nothing of cnc is left in the cgroup trees).
    public func remove(_ path: String) throws { try remove(path, keepParents: false) }

    /// Removes the cgroup but keeps the parent, as Docker keeps its `docker` parent: a
    /// foreground `--rm` run then does not pay for rmdir and mkdir of the parent in every
    /// hierarchy (about a tenth of a container start). `cnc rm` removes it when empty.
    public func removeKeepingParents(_ path: String) throws { try remove(path, keepParents: true) }

    /// Makes `path` afresh with `limits`: what a previous start left there goes first, and a
    /// half-made cgroup goes again when making it fails.
    public func recreate(_ path: String, limits: CgroupLimits) throws {
        if exists(path) { try remove(path) }
        do { try create(path, limits: limits) } catch {
            try? remove(path)
            throw error
        }
    }
}

/// Shared helpers for reading cgroup files.
enum CgroupFile {
    static func read(_ path: String) -> String? { try? FileSystem.readText(path) }

    static func int(_ path: String) -> Int64? {
        guard let t = read(path)?.trimmingSpaces else { return nil }
        return Int64(t)
    }

    /// "key value" lines (memory.stat, cpu.stat, memory.events, oom_control).
    static func keyed(_ path: String, _ key: String) -> Int64? {
        guard let t = read(path) else { return nil }
        for line in t.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == key { return Int64(f[1]) }
        }
        return nil
    }

    static func pids(_ procsFile: String) -> [Int32] {
        (read(procsFile) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    /// rmdirs cnc's own default parent ("cnc" of "cnc/<id>") once it is empty. A parent given
    /// with --cgroup-parent belongs to whoever set it up and stays.
    static func removeEmptyParents(of dir: String, below path: String) {
        let parts = path.split(separator: "/")
        guard parts.count == 2, parts[0] == "cnc" else { return }
        try? FileSystem.removeDirectory(FileSystem.directoryName(dir))
    }

    /// SIGKILLs everything in `procsFile` until it is empty (bounded wait), then rmdirs `dir`.
    static func killAndRemove(dir: String, procsFile: String) throws {
        guard FileSystem.isDirectory(dir) else { return }
        for attempt in 0..<200 {
            let pids = pids(procsFile)
            for p in pids { _ = try? Processes.signal(p, 9) }
            do {
                try FileSystem.removeDirectory(dir)
                return
            } catch let e as CNCError where e.errnoCode == 16 /* EBUSY */ && attempt < 199 {
                Processes.sleep(milliseconds: 5)
            }
        }
    }
}
