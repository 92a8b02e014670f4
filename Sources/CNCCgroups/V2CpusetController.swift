import CNCCore
import CNCSystem

/// cpuset.cpus, cpuset.mems (empty means "inherit" on v2, so nothing needs copying).
struct V2CpusetController: V2Controller {
    let name = "cpuset"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        if let c = l.cpusetCpus { try FileSystem.writeValue(c, to: dir + "/cpuset.cpus") }
        if let m = l.cpusetMems { try FileSystem.writeValue(m, to: dir + "/cpuset.mems") }
    }
}
