import CNCCgroups
import CNCCore
import CNCSystem
import CNCSystemd

extension EngineConfig {
    /// What was asked for, and where: `--cgroup-manager`, else CNC_CGROUP_MANAGER, else the
    /// spec's `x-cnc.cgroup_driver`, else auto.
    public func cgroupDriverRequest() throws -> (request: CgroupDriverRequest, source: String) {
        if let flag = cgroupManager {
            return (try CgroupDriverRequest.parse(flag, source: "--cgroup-manager"), "--cgroup-manager \(flag)")
        }
        if let env = Host.environment("CNC_CGROUP_MANAGER"), !env.isEmpty {
            return (try CgroupDriverRequest.parse(env, source: "CNC_CGROUP_MANAGER"), "CNC_CGROUP_MANAGER=\(env)")
        }
        if let spec = specCgroupDriver, spec != .auto { return (spec, "x-cnc.cgroup_driver: \(spec.rawValue)") }
        return (.auto, "auto")
    }

    /// The driver in use and its manager.
    public func cgroupDriver() throws -> (choice: CgroupDriverChoice, manager: any CgroupManager) {
        let (request, source) = try cgroupDriverRequest()
        return try CgroupDrivers.select(request, source: source)
    }
}
