import CNCCore
import CNCSystem

/// cpuset.cpus, cpuset.mems. A new v1 cpuset starts empty, so every level is filled from its
/// parent before a task can join.
struct V1CpusetController: V1Controller {
    let name = "cpuset"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        if let c = l.cpusetCpus { try FileSystem.writeValue(c, to: dir + "/cpuset.cpus") }
        if let m = l.cpusetMems { try FileSystem.writeValue(m, to: dir + "/cpuset.mems") }
    }

    /// mkdir each level of `path` under `root`, copying cpuset.cpus/mems down when empty.
    static func createInheriting(root: String, path: String) throws {
        var parent = root
        for part in path.split(separator: "/") {
            let dir = parent + "/" + part
            if !FileSystem.isDirectory(dir) {
                do { try FileSystem.createDirectory(dir) } catch { throw CNCError.failed("create", "cgroup \(dir)", cause: error) }
            }
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let mine = CgroupFile.read(dir + "/" + file)?.trimmingSpaces ?? ""
                if mine.isEmpty, let theirs = CgroupFile.read(parent + "/" + file)?.trimmingSpaces, !theirs.isEmpty {
                    try FileSystem.writeValue(theirs, to: dir + "/" + file)
                }
            }
            parent = dir
        }
    }
}
