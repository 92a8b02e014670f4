import CNCCore
import CNCSystem

/// memory.max, memory.low (reservation), memory.high, memory.swap.max (swap only: Docker's
/// memory-swap minus memory), memory.oom.group.
struct V2MemoryController: V2Controller {
    let name = "memory"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        func v(_ n: Int64) -> String { n <= 0 ? "max" : "\(n)" }
        if let m = l.memory { try FileSystem.writeValue(v(m), to: dir + "/memory.max") }
        if let s = l.effectiveMemorySwap {
            let swapOnly: String
            if s < 0 { swapOnly = "max" } else if let m = l.memory, m > 0 { swapOnly = "\(max(0, s - m))" } else { swapOnly = "max" }
            try FileSystem.writeValue(swapOnly, to: dir + "/memory.swap.max")
        }
        if let r = l.memoryReservation { try FileSystem.writeValue(r <= 0 ? "0" : "\(r)", to: dir + "/memory.low") }
        if let h = l.memoryHigh { try FileSystem.writeValue(v(h), to: dir + "/memory.high") }
        if l.oomKillDisable == true {
            throw CNCError(.unsupported, "--oom-kill-disable is not available on cgroup v2")
        }
        // An OOM kill takes the whole container down, as on v1 with a single workload.
        if initial { try FileSystem.writeValue("1", to: dir + "/memory.oom.group") }
    }
}
