import CNCCgroups
import CNCCore
import CNCRuntime
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

    /// The driver in use and its manager; `auto` keeps to the driver of the root's containers.
    public func cgroupDriver() throws -> (choice: CgroupDriverChoice, manager: any CgroupManager) {
        let (request, source) = try cgroupDriverRequest()
        let recorded = request == .auto ? Runtime.recordedCgroupDriver(stateRoot: stateRoot, runRoot: runRoot) : nil
        return try CgroupDrivers.select(request, source: source, recorded: recorded.map { ($0, stateRoot) })
    }
}
