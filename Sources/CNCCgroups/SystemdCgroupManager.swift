import CNCCore
import CNCSystem
import Synchronization

/// The systemd cgroup driver: each container's processes live in the transient scope
/// `cnc-<id>.scope` (Delegate=yes) in `cnc.slice` or the slice its cgroup parent names, made
/// with StartTransientUnit when its first process joins, its limits as unit properties. The
/// scope's directories are then written with the cgroupfs writers as well (as runc does), so
/// the files show exactly what cgroupfs would write, and what systemd cannot express on this
/// layout (v1: soft limit, swap, cpuset, IOPS, deny rules) is there too.
public struct SystemdCgroupManager: CgroupManager {
    public let layout: CgroupLayout
    /// sd-bus in cnc-cli and cncapply (CgroupDrivers), the wire client in the static front.
    public let bus: any SystemdManagerClient
    /// The cgroupfs writers on the same layout, pointed at the scope's cgroup.
    let files: any CgroupFiles
    let unified: Bool
    /// Limits of scopes created but not started yet (a scope needs its first process).
    let pending = PendingScopes()
    public var kind: CgroupDriverKind { .systemd }
    public var joinsThroughManager: Bool { true }

    public init(layout: CgroupLayout, bus: any SystemdManagerClient = SystemdBus()) throws {
        self.layout = layout
        self.bus = bus
        guard let files = try CgroupManagers.cgroupfs(layout: layout) as? any CgroupFiles else {
            throw CNCError(.unsupported, "no cgroup writer for this layout")
        }
        self.files = files
        unified = files is CgroupfsV2
    }

    final class PendingScopes: Sendable {
        let limits = Mutex<[String: CgroupLimits]>([:])
    }

    /// The cgroup of the manager the scopes are made by, relative to the hierarchy's root: ""
    /// for the system manager, "user.slice/user-UID.slice/user@UID.service" for a user's
    /// (rootless cnc on cgroup v2: RootlessCgroups; not tried on a real host yet).
    public var managerBase = ""

    func scope(_ path: String) throws -> SystemdScope {
        var s = try SystemdScope(path: path)
        if !managerBase.isEmpty { s.cgroupPath = managerBase + "/" + s.cgroupPath }
        return s
    }

    /// The scope's cgroup path, or nil for a path the driver refuses (queries answer "nothing").
    func cgroup(_ path: String) -> String? { try? scope(path).cgroupPath }

    /// Checks the path and remembers the limits: the scope starts with the first process.
    public func create(_ path: String, limits: CgroupLimits) throws {
        _ = try scope(path)
        pending.limits.withLock { $0[path] = limits }
    }

    public func addProcess(_ pid: Int32, to path: String) throws {
        try beginAddProcess(pid, to: path)()
    }

    /// The scope's first process: StartTransientUnit is sent now, its job waited for (and the
    /// files written) by the closure. A later process joins the running scope at once.
    public func beginAddProcess(_ pid: Int32, to path: String) throws -> @Sendable () throws -> Void {
        let s = try scope(path)
        if let limits = pending.limits.withLock({ $0.removeValue(forKey: path) }) {
            return try start(path, s, pid: pid, limits: limits)
        } else if files.exists(s.cgroupPath) {
            // A running scope: a later process joins its delegated directories.
            for f in procsFiles(path) { try FileSystem.writeValue("\(pid)", to: f, create: false) }
            return {}
        } else {
            throw CNCError(.notFound, "cgroup \(path) does not exist (unit \(s.unit) is not running)")
        }
    }

    /// StartTransientUnit with the first process and the limits (sent here); the closure waits
    /// for its job, then makes the hierarchies systemd leaves alone and writes every limit into
    /// the files. Nothing stays when a step fails.
    func start(_ path: String, _ s: SystemdScope, pid: Int32, limits: CgroupLimits) throws -> @Sendable () throws -> Void {
        let id = String(path.split(separator: "/").last ?? "")
        var props = SystemdProperties.scope(slice: s.slice, pid: pid, description: "cnc container " + id, unified: unified)
        props += SystemdProperties.limits(limits, unified: unified, deviceName: Self.deviceName)
        if limits.deviceRules == nil { props += SystemdProperties.defaultDevices(deviceName: Self.deviceName) }
        // Not systemd's DefaultTasksMax: pids.max says "max" as under cgroupfs.
        if limits.pids == nil { props.append(SystemdProperty("TasksMax", .infinity)) }
        let started = try bus.beginTransientUnit(s.unit, properties: props)
        return { [bus, files, props, self] in
            do { try bus.finish(started) } catch where s.ownSlice {
                // cnc.slice may have been stopping (stopped by hand, or by an older cnc with its
                // last container): the start job then conflicts with its stop job. Once more.
                Processes.sleep(milliseconds: 20)
                try bus.startTransientUnit(s.unit, properties: props)
            }
            Trace.mark("systemd: scope started (job done)")
            do {
                for f in try files.createMissing(s.cgroupPath) { try FileSystem.writeValue("\(pid)", to: f, create: false) }
                try files.writeLimits(limits, s.cgroupPath, initial: true)
            } catch {
                _ = try? Processes.signal(pid, 9)
                try? self.remove(path, keepParents: true)
                throw CNCError.failed("set up", "unit \(s.unit)", cause: error)
            }
        }
    }

    /// The files first (v1 takes memsw before a larger limit), then the unit's properties for
    /// this runtime, so systemd re-applies the same values if it realizes the cgroup again.
    public func update(_ path: String, limits: CgroupLimits) throws {
        let s = try scope(path)
        if pending.limits.withLock({ $0[path] != nil }) {
            pending.limits.withLock { $0[path] = $0[path]?.merging(limits) }
            return
        }
        guard files.exists(s.cgroupPath) else { throw CNCError(.notFound, "cgroup \(path) does not exist (unit \(s.unit) is not running)") }
        Trace.mark("update: start")
        try files.writeLimits(limits, s.cgroupPath, initial: false)
        Trace.mark("update: cgroup files written")
        try bus.setUnitProperties(s.unit, properties: SystemdProperties.limits(limits, unified: unified, deviceName: Self.deviceName))
        Trace.mark("update: unit properties set")
    }

    /// The scope's cgroup.procs in every hierarchy, with systemd's own (name=systemd and, on a
    /// hybrid host, the unified one) so a process joining later is the scope's for systemd too.
    public func procsFiles(_ path: String) -> [String] {
        guard let cg = cgroup(path) else { return [] }
        var out = files.procsFiles(cg)
        if !unified {
            if let named = layout.v1.first(where: { $0.name == "systemd" }) { out.append(named.mountPoint + "/" + cg + "/cgroup.procs") }
            if let u = layout.unifiedMountPoint { out.append(u + "/" + cg + "/cgroup.procs") }
        }
        return out
    }

    public func oomCounter(_ path: String) -> (file: String, key: String)? { cgroup(path).flatMap { files.oomCounter($0) } }
    public func processes(_ path: String) -> [Int32] { cgroup(path).map { files.processes($0) } ?? [] }
    public func stats(_ path: String) throws -> CgroupStats { try files.stats(try scope(path).cgroupPath) }
    public func freeze(_ path: String) throws { try files.freeze(try scope(path).cgroupPath) }
    public func thaw(_ path: String) throws { try files.thaw(try scope(path).cgroupPath) }
    public func isFrozen(_ path: String) -> Bool { cgroup(path).map { files.isFrozen($0) } ?? false }
    /// The controllers' directories, plus systemd's own hierarchies the scope is in (as
    /// Docker shows /sys/fs/cgroup/systemd under the systemd driver).
    public func containerView(_ path: String) -> CgroupView {
        guard let cg = cgroup(path) else { return CgroupView(binds: []) }
        var view = files.containerView(cg)
        for f in procsFiles(path).dropFirst(files.procsFiles(cg).count) {
            let dir = FileSystem.directoryName(f)
            let mount = String(dir.dropLast(cg.count + 1))
            view.binds.append((dir, mount.split(separator: "/").last.map(String.init) ?? "systemd"))
        }
        return view
    }

    /// A container's scope exists while it runs; a one-part path ("cnc", "NAME.slice") asks
    /// for the slice.
    public func exists(_ path: String) -> Bool {
        if !path.contains("/") {
            guard let slice = try? SystemdScope.slice(forParent: path), let cg = try? SystemdScope.sliceCgroupPath(slice) else { return false }
            return !cg.isEmpty && files.exists(cg)
        }
        return cgroup(path).map { files.exists($0) } ?? false
    }

    /// Kills what is left, stops the scope and waits, resets it if it failed, removes the
    /// directories systemd does not own. The slice stays, as system.slice (runc, Docker) and
    /// machine.slice (podman) do: stopping cnc.slice with its last scope made the next start
    /// wait for systemd to start it again (a slice job inside the scope's, ~15 ms) and the
    /// removal for its stop (~15 ms), and raced a start against the stop. `keepParents` is moot.
    public func remove(_ path: String, keepParents: Bool) throws {
        let s = try scope(path)
        pending.limits.withLock { _ = $0.removeValue(forKey: path) }
        if isFrozen(path) { try? thaw(path) }
        for p in files.processes(s.cgroupPath) { _ = try? Processes.signal(p, 9) }
        try bus.stopUnit(s.unit)
        // cpuset and freezer (v1) are cnc's own directories: systemd never made them.
        try files.remove(s.cgroupPath, keepParents: true)
    }

    /// /proc/devices' name of a major (systemd's "char-pts").
    static func deviceName(_ type: String, _ major: Int64) -> String? {
        SystemdProperties.deviceName(in: (try? FileSystem.readText("/proc/devices")) ?? "", type: type, major: major)
    }
}
