import CNCCore
import CNCSystem

/// cpu.max ("<quota> <period>" or "max <period>") and cpu.weight.
struct V2CPUController: V2Controller {
    let name = "cpu"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        if let s = l.cpuShares { try FileSystem.writeValue("\(CgroupLimits.weight(fromShares: s))", to: dir + "/cpu.weight") }
        if l.cpuQuota != nil || l.cpuPeriod != nil {
            let period = l.cpuPeriod ?? 100_000
            let quota = l.cpuQuota.map { $0 <= 0 ? "max" : "\($0)" } ?? "max"
            try FileSystem.writeValue("\(quota) \(period)", to: dir + "/cpu.max")
        }
    }
}
