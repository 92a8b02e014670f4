import CNCCore
import CNCSystem

/// Moving a process between cgroups takes a lock whose first writer waits for an RCU grace
/// period (~10 ms here, more under load); writers that follow within a grace period do not.
/// `prime()` rewrites this process into the cgroup it already is in (a no-op move) on a
/// background thread, so the wait overlaps the CLI's other work and the container's real
/// move later finds the lock warm. CNC_NO_PRIME=1 turns every warming off (for measuring).
public enum MigrationPrimer {
    public static func prime(layout: CgroupLayout) {
        // Rootless: no cgroup of ours to migrate into (see UndelegatedCgroups).
        guard Host.environment("CNC_NO_PRIME") == nil, !Rootless.isActive, let (file, _) = target(layout: layout, procSelfCgroup: (try? FileSystem.readText("/proc/self/cgroup")) ?? "") else { return }
        let pid = Processes.current
        Threads.detach { try? FileSystem.writeValue("\(pid)", to: file, create: false) }
    }

    /// The cgroup.procs file of our current cgroup in the pids hierarchy (or the unified one).
    static func target(layout: CgroupLayout, procSelfCgroup: String) -> (String, String)? {
        for line in procSelfCgroup.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2).map(String.init)
            guard f.count == 3 else { continue }
            if f[1] == "pids", let h = layout.v1Hierarchy(for: "pids") {
                let rel = f[2] == "/" ? "" : f[2]
                return (h.mountPoint + rel + "/cgroup.procs", rel)
            }
            if f[0] == "0" && f[1].isEmpty && layout.mode == .v2, let u = layout.unifiedMountPoint {
                let rel = f[2] == "/" ? "" : f[2]
                return (u + rel + "/cgroup.procs", rel)
            }
        }
        return nil
    }
}
