import CNCCore
import CNCSystem

/// The cgroupfs writers as another driver uses them on cgroups it did not make itself: the
/// systemd driver writes a scope's delegated directories with them, so the files show the
/// same values as under cgroupfs, including what systemd cannot express on the layout.
public protocol CgroupFiles: CgroupManager {
    /// Writes `limits` into the cgroup's files; `initial`: the cgroup is new (device rules go
    /// in even when none were asked for).
    func writeLimits(_ limits: CgroupLimits, _ path: String, initial: Bool) throws
    /// Makes the cgroup in the hierarchies that lack it (v1: those systemd leaves alone, like
    /// cpuset and freezer) and returns their cgroup.procs files.
    func createMissing(_ path: String) throws -> [String]
}

extension CgroupfsV1: CgroupFiles {
    public func writeLimits(_ limits: CgroupLimits, _ path: String, initial: Bool) throws {
        try write(limits, path, initial: initial)
    }

    public func createMissing(_ path: String) throws -> [String] {
        let missing = directories(path).filter { !FileSystem.isDirectory($0) }
        guard !missing.isEmpty else { return [] }
        try createOnce(path)
        return missing.map { $0 + "/cgroup.procs" }
    }
}

extension CgroupfsV2: CgroupFiles {
    public func writeLimits(_ limits: CgroupLimits, _ path: String, initial: Bool) throws {
        try write(limits, path, initial: initial)
    }

    /// systemd makes the one directory there is on v2.
    public func createMissing(_ path: String) throws -> [String] { [] }
}
