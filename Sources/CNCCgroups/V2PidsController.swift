import CNCCore
import CNCSystem

/// pids.max.
struct V2PidsController: V2Controller {
    let name = "pids"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        if let p = l.pids { try FileSystem.writeValue(p <= 0 ? "max" : "\(p)", to: dir + "/pids.max") }
    }
}
