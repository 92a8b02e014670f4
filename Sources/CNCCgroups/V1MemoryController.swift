import CNCCore
import CNCSystem

/// memory.limit_in_bytes, memory.memsw.limit_in_bytes, memory.soft_limit_in_bytes,
/// memory.oom_control.
struct V1MemoryController: V1Controller {
    let name = "memory"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        let limitFile = dir + "/memory.limit_in_bytes"
        let swapFile = dir + "/memory.memsw.limit_in_bytes"
        let swap = l.effectiveMemorySwap
        let hasSwapAccounting = FileSystem.exists(swapFile) || !FileSystem.exists(limitFile)
        if let m = l.memory {
            let mem = m <= 0 ? -1 : m
            // memsw must stay >= limit at every moment: raise memsw first when growing.
            let current = CgroupFile.int(limitFile) ?? 0
            if let s = swap, hasSwapAccounting, mem == -1 || mem > current {
                try FileSystem.writeValue("\(s <= 0 ? -1 : s)", to: swapFile)
                try FileSystem.writeValue("\(mem)", to: limitFile)
            } else {
                try FileSystem.writeValue("\(mem)", to: limitFile)
                if let s = swap, hasSwapAccounting { try FileSystem.writeValue("\(s <= 0 ? -1 : s)", to: swapFile) }
            }
        } else if let s = l.memorySwap, hasSwapAccounting {
            try FileSystem.writeValue("\(s <= 0 ? -1 : s)", to: swapFile)
        }
        if let r = l.memoryReservation { try FileSystem.writeValue("\(r <= 0 ? -1 : r)", to: dir + "/memory.soft_limit_in_bytes") }
        if let d = l.oomKillDisable, d || !initial { try FileSystem.writeValue(d ? "1" : "0", to: dir + "/memory.oom_control") }
    }
}
