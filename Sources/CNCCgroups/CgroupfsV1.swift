import CNCCore
import CNCSystem

/// One v1 controller's writer: takes the cgroup's directory in that controller's hierarchy.
protocol V1Controller: Sendable {
    var name: String { get }
    /// Writes the limits this controller owns; `initial` is true right after mkdir.
    func apply(_ limits: CgroupLimits, dir: String, initial: Bool) throws
}

/// The cgroupfs driver on cgroup v1: one directory per hierarchy (separate or co-mounted
/// controllers), mount points injected through `layout`, so tests run it on fixture trees.
public struct CgroupfsV1: CgroupManager {
    public let layout: CgroupLayout
    public var kind: CgroupDriverKind { .cgroupfs }

    static let controllers: [any V1Controller] = [
        V1CpusetController(), V1CPUController(), V1MemoryController(), V1PidsController(),
        V1BlkioController(), V1DevicesController(),
    ]
    /// Hierarchies a container joins even without limits (accounting, freezer).
    static let joined = ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"]

    public init(layout: CgroupLayout) { self.layout = layout }

    /// The cgroup's directory in the hierarchy carrying `controller`.
    public func directory(_ controller: String, _ path: String) -> String? {
        layout.v1Hierarchy(for: controller).map { $0.mountPoint + "/" + path }
    }

    /// One directory per distinct hierarchy (co-mounted controllers share one).
    func directories(_ path: String) -> [String] {
        var seen: [String] = []
        for c in Self.joined { if let d = directory(c, path), !seen.contains(d) { seen.append(d) } }
        return seen
    }

    public func create(_ path: String, limits: CgroupLimits) throws {
        try CgroupManagers.validate(path)
        // A concurrent remove may rmdir an empty shared parent (cnc/) mid-way: one retry.
        do { try createOnce(path) } catch { try createOnce(path) }
        Trace.mark("cgroups: directories")
        try write(limits, path, initial: true)
    }

    func createOnce(_ path: String) throws {
        if let cpusetRoot = layout.v1Hierarchy(for: "cpuset")?.mountPoint {
            try V1CpusetController.createInheriting(root: cpusetRoot, path: path)
        }
        for d in directories(path) {
            do { try FileSystem.createDirectory(d) } catch { throw CNCError.failed("create", "cgroup \(d)", cause: error) }
        }
    }

    public func update(_ path: String, limits: CgroupLimits) throws {
        guard exists(path) else { throw CNCError(.notFound, "cgroup \(path) does not exist") }
        try write(limits, path, initial: false)
    }

    func write(_ limits: CgroupLimits, _ path: String, initial: Bool) throws {
        for c in Self.controllers {
            guard let d = directory(c.name, path) else {
                if c.wants(limits) { throw CNCError(.unsupported, "the \(c.name) controller is not mounted; cannot apply its limits") }
                continue
            }
            try c.apply(limits, dir: d, initial: initial)
        }
    }

    public func addProcess(_ pid: Int32, to path: String) throws {
        for f in procsFiles(path) { try FileSystem.writeValue("\(pid)", to: f, create: false) }
    }

    public func procsFiles(_ path: String) -> [String] { directories(path).map { $0 + "/cgroup.procs" } }

    public func containerView(_ path: String) -> CgroupView {
        var binds: [(source: String, name: String)] = []
        var links: [(name: String, target: String)] = []
        for h in layout.v1 where h.controllers.contains(where: Self.joined.contains) {
            let name = h.mountPoint.split(separator: "/").last.map(String.init) ?? h.controllers.joined(separator: ",")
            guard !binds.contains(where: { $0.name == name }) else { continue }
            binds.append((h.mountPoint + "/" + path, name))
            if h.controllers.count > 1 { for c in h.controllers where c != name { links.append((c, name)) } }
        }
        return CgroupView(binds: binds, links: links)
    }

    public func oomCounter(_ path: String) -> (file: String, key: String)? {
        directory("memory", path).map { ($0 + "/memory.oom_control", "oom_kill") }
    }

    public func processes(_ path: String) -> [Int32] {
        guard let d = directory("pids", path) ?? directories(path).first else { return [] }
        return CgroupFile.pids(d + "/cgroup.procs")
    }

    public func stats(_ path: String) throws -> CgroupStats {
        var s = CgroupStats()
        if let d = directory("cpuacct", path) { s.cpuUsageNanos = CgroupFile.int(d + "/cpuacct.usage") ?? 0 }
        if let d = directory("memory", path) {
            // Docker reports usage minus the page cache that could be dropped.
            let usage = CgroupFile.int(d + "/memory.usage_in_bytes") ?? 0
            let inactive = CgroupFile.keyed(d + "/memory.stat", "total_inactive_file") ?? 0
            s.memoryUsage = max(0, usage - inactive)
            if let l = CgroupFile.int(d + "/memory.limit_in_bytes"), l < (1 << 62) { s.memoryLimit = l }
        }
        if let d = directory("pids", path) { s.pids = CgroupFile.int(d + "/pids.current") ?? 0 }
        if let d = directory("blkio", path) {
            for line in (CgroupFile.read(d + "/blkio.throttle.io_service_bytes") ?? "").split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count == 3, let v = Int64(f[2]) else { continue }
                if f[1] == "Read" { s.blockRead += v } else if f[1] == "Write" { s.blockWrite += v }
            }
        }
        return s
    }

    public func freeze(_ path: String) throws {
        guard let d = directory("freezer", path) else { throw CNCError(.unsupported, "the freezer controller is not mounted") }
        try FileSystem.writeValue("FROZEN", to: d + "/freezer.state")
        // The kernel reports FREEZING until every task stopped.
        for _ in 0..<400 where (CgroupFile.read(d + "/freezer.state") ?? "").hasPrefix("FREEZING") {
            Processes.sleep(milliseconds: 5)
        }
    }

    public func thaw(_ path: String) throws {
        guard let d = directory("freezer", path) else { throw CNCError(.unsupported, "the freezer controller is not mounted") }
        try FileSystem.writeValue("THAWED", to: d + "/freezer.state")
    }

    public func isFrozen(_ path: String) -> Bool {
        guard let d = directory("freezer", path) else { return false }
        return (CgroupFile.read(d + "/freezer.state") ?? "").hasPrefix("FROZEN")
    }

    public func remove(_ path: String, keepParents: Bool) throws {
        try CgroupManagers.validate(path)
        // Frozen tasks cannot die; thaw first.
        if isFrozen(path) { try? thaw(path) }
        var firstError: (any Error)?
        for d in directories(path) {
            do { try CgroupFile.killAndRemove(dir: d, procsFile: d + "/cgroup.procs") } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw CNCError.failed("remove", "cgroup \(path)", cause: firstError) }
        // The shared parents (cnc/) go when empty; a sibling still there keeps them (EBUSY).
        if !keepParents { for d in directories(path) { CgroupFile.removeEmptyParents(of: d, below: path) } }
    }

    public func exists(_ path: String) -> Bool { directories(path).contains { FileSystem.isDirectory($0) } }
}

extension V1Controller {
    /// True when `limits` sets something this controller owns.
    func wants(_ l: CgroupLimits) -> Bool {
        switch name {
        case "cpu": l.cpuQuota != nil || l.cpuPeriod != nil || l.cpuShares != nil
        case "cpuset": l.cpusetCpus != nil || l.cpusetMems != nil
        case "memory": l.memory != nil || l.memoryReservation != nil || l.memorySwap != nil || l.oomKillDisable == true
        case "pids": l.pids != nil
        case "blkio": l.blkioWeight != nil || !(l.blkioThrottles ?? []).isEmpty
        default: false
        }
    }
}
