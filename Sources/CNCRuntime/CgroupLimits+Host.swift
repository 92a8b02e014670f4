import CNCCore
import CNCSystem

extension CgroupLimits {
    /// validate() plus Docker's checks that need this host: a cpuset within the CPUs and memory
    /// nodes the root cgroup offers (read only when a cpuset is asked for).
    func validateOnHost() throws {
        try validate()
        try validateCpusets(
            availableCPUs: { Self.firstLine(of: ["/sys/fs/cgroup/cpuset.cpus.effective", "/sys/fs/cgroup/cpuset/cpuset.cpus",
                                                  "/sys/devices/system/cpu/online"]) ?? "0-\(Processes.onlineCPUs - 1)" },
            availableMems: { Self.firstLine(of: ["/sys/fs/cgroup/cpuset.mems.effective", "/sys/fs/cgroup/cpuset/cpuset.mems",
                                                  "/sys/devices/system/node/online"]) ?? "0" })
    }

    private static func firstLine(of paths: [String]) -> String? {
        for p in paths {
            if let t = try? FileSystem.readText(p), let line = t.split(separator: "\n").first, !line.isEmpty { return String(line) }
        }
        return nil
    }
}
