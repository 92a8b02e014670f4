import CNCCore
import CNCSystem

/// cpu.cfs_period_us, cpu.cfs_quota_us, cpu.shares.
struct V1CPUController: V1Controller {
    let name = "cpu"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        if let s = l.cpuShares { try FileSystem.writeValue("\(s)", to: dir + "/cpu.shares") }
        // The period must be set before a quota that relies on it.
        if let p = l.cpuPeriod { try FileSystem.writeValue("\(p)", to: dir + "/cpu.cfs_period_us") }
        if let q = l.cpuQuota { try FileSystem.writeValue("\(q <= 0 ? -1 : q)", to: dir + "/cpu.cfs_quota_us") }
    }
}
