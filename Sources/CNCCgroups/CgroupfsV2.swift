import CNCCore
import CNCSystem

/// One v2 controller's writer, given the cgroup's directory in the unified hierarchy.
protocol V2Controller: Sendable {
    /// The name in cgroup.subtree_control.
    var name: String { get }
    func apply(_ limits: CgroupLimits, dir: String, initial: Bool) throws
}

/// The cgroupfs driver on the unified hierarchy (cgroup v2). The mount point is injected, so
/// the same writers run on a fixture tree in tests (this CI host has no v2 controllers).
public struct CgroupfsV2: CgroupManager {
    public let mountPoint: String
    public var kind: CgroupDriverKind { .cgroupfs }

    static let controllers: [any V2Controller] = [
        V2CpusetController(), V2CPUController(), V2MemoryController(), V2PidsController(), V2IOController(),
    ]

    public init(mountPoint: String) { self.mountPoint = mountPoint }

    public func directory(_ path: String) -> String { mountPoint + "/" + path }

    public func create(_ path: String, limits: CgroupLimits) throws {
        try CgroupManagers.validate(path)
        // Each ancestor delegates the controllers it has to its children ("+cpu +memory ...").
        var dir = mountPoint
        for part in path.split(separator: "/") {
            let available = Set((CgroupFile.read(dir + "/cgroup.controllers") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            let wanted = Self.controllers.map(\.name).filter { available.contains($0) }
            if !wanted.isEmpty {
                let enabled = Set((CgroupFile.read(dir + "/cgroup.subtree_control") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
                let missing = wanted.filter { !enabled.contains($0) }
                if !missing.isEmpty {
                    try FileSystem.writeValue(missing.map { "+" + $0 }.joined(separator: " "), to: dir + "/cgroup.subtree_control")
                }
            }
            dir += "/" + part
            if !FileSystem.isDirectory(dir) {
                do { try FileSystem.createDirectory(dir) } catch { throw CNCError.failed("create", "cgroup \(dir)", cause: error) }
            }
        }
        try write(limits, path, initial: true)
    }

    public func update(_ path: String, limits: CgroupLimits) throws {
        guard exists(path) else { throw CNCError(.notFound, "cgroup \(path) does not exist") }
        try write(limits, path, initial: false)
    }

    func write(_ limits: CgroupLimits, _ path: String, initial: Bool) throws {
        let dir = directory(path)
        for c in Self.controllers { try c.apply(limits, dir: dir, initial: initial) }
    }

    public func addProcess(_ pid: Int32, to path: String) throws {
        try FileSystem.writeValue("\(pid)", to: directory(path) + "/cgroup.procs", create: false)
    }

    public func procsFiles(_ path: String) -> [String] { [directory(path) + "/cgroup.procs"] }

    public func containerView(_ path: String) -> CgroupView { CgroupView(binds: [(directory(path), "")], unified: true) }

    public func oomCounter(_ path: String) -> (file: String, key: String)? { (directory(path) + "/memory.events", "oom_kill") }

    public func processes(_ path: String) -> [Int32] { CgroupFile.pids(directory(path) + "/cgroup.procs") }

    public func stats(_ path: String) throws -> CgroupStats {
        let d = directory(path)
        var s = CgroupStats()
        s.cpuUsageNanos = (CgroupFile.keyed(d + "/cpu.stat", "usage_usec") ?? 0) * 1000
        let current = CgroupFile.int(d + "/memory.current") ?? 0
        s.memoryUsage = max(0, current - (CgroupFile.keyed(d + "/memory.stat", "inactive_file") ?? 0))
        s.memoryLimit = CgroupFile.int(d + "/memory.max")
        s.pids = CgroupFile.int(d + "/pids.current") ?? 0
        for line in (CgroupFile.read(d + "/io.stat") ?? "").split(separator: "\n") {
            for field in line.split(separator: " ").dropFirst() {
                let kv = field.split(separator: "=")
                guard kv.count == 2, let v = Int64(kv[1]) else { continue }
                if kv[0] == "rbytes" { s.blockRead += v } else if kv[0] == "wbytes" { s.blockWrite += v }
            }
        }
        return s
    }

    public func freeze(_ path: String) throws {
        let d = directory(path)
        try FileSystem.writeValue("1", to: d + "/cgroup.freeze")
        for _ in 0..<400 where CgroupFile.keyed(d + "/cgroup.events", "frozen") == 0 { Processes.sleep(milliseconds: 5) }
    }

    public func thaw(_ path: String) throws { try FileSystem.writeValue("0", to: directory(path) + "/cgroup.freeze") }

    public func isFrozen(_ path: String) -> Bool { CgroupFile.int(directory(path) + "/cgroup.freeze") == 1 }

    public func remove(_ path: String, keepParents: Bool) throws {
        try CgroupManagers.validate(path)
        let d = directory(path)
        if FileSystem.exists(d + "/cgroup.kill") { try? FileSystem.writeValue("1", to: d + "/cgroup.kill", create: false) }
        if isFrozen(path) { try? thaw(path) }
        try CgroupFile.killAndRemove(dir: d, procsFile: d + "/cgroup.procs")
        if !keepParents { CgroupFile.removeEmptyParents(of: d, below: path) }
    }

    public func exists(_ path: String) -> Bool { FileSystem.isDirectory(directory(path)) }
}
