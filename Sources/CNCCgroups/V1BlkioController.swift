import CNCCore
import CNCSystem

/// blkio.weight (or blkio.bfq.weight) and blkio.throttle.*_device.
struct V1BlkioController: V1Controller {
    let name = "blkio"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        if let w = l.blkioWeight {
            let file = FileSystem.exists(dir + "/blkio.weight") || !FileSystem.exists(dir + "/blkio.bfq.weight")
                ? "/blkio.weight" : "/blkio.bfq.weight"
            try FileSystem.writeValue("\(w)", to: dir + file)
        }
        for t in l.blkioThrottles ?? [] {
            try FileSystem.writeValue("\(t.major):\(t.minor) \(t.rate)", to: dir + "/" + t.kind.v1File)
        }
    }
}
