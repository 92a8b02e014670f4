import CNCCore
import CNCSystem

/// io.weight ("default N") and io.max ("maj:min rbps=N wbps=N riops=N wiops=N").
struct V2IOController: V2Controller {
    let name = "io"
    func apply(_ l: CgroupLimits, dir: String, initial: Bool) throws {
        if let w = l.blkioWeight {
            try FileSystem.writeValue("default \(CgroupLimits.ioWeight(fromBlkio: w))", to: dir + "/io.weight")
        }
        var byDevice: [String: [String]] = [:]
        var order: [String] = []
        for t in l.blkioThrottles ?? [] {
            let key = "\(t.major):\(t.minor)"
            if byDevice[key] == nil { order.append(key) }
            byDevice[key, default: []].append("\(t.kind.v2Key)=\(t.rate)")
        }
        for key in order {
            try FileSystem.writeValue("\(key) " + (byDevice[key] ?? []).joined(separator: " "), to: dir + "/io.max")
        }
    }
}
