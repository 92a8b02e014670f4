import CNCCgroups
import CNCCore
import CNCSystem
import Synchronization

/// Work `create(startsNext:)` leaves in flight for the `start` that follows (`cnc run`):
/// - the container's cgroups, made on a second thread (the mkdirs and limit writes of every
///   hierarchy overlap the writing of the container's files; a direct start takes them once
///   init is cloned). Afterwards that thread warms the cgroup migration lock (MigrationPrimer)
///   unless the caller did — after, because a migration holds cgroup_mutex through its RCU
///   grace period and would stall the mkdirs;
/// - its config.json, written by `start` while init sets up the container's root.
enum StartPreparations {
    final class Job: @unchecked Sendable {
        let work: Threads.Joinable<Void>
        init(_ work: Threads.Joinable<Void>) { self.work = work }
    }

    private static let jobs = Mutex<[ContainerID: Job]>([:])
    private static let specWrites = Mutex<[ContainerID: SpecWrite]>([:])

    final class SpecWrite: @unchecked Sendable {
        let write: () throws -> Void
        init(_ write: @escaping () throws -> Void) { self.write = write }
    }

    /// config.json of a container about to start: `start` writes it while the container's
    /// init sets up its root (the CLI only waits then), see finishSpec.
    static func deferSpec(_ id: ContainerID, _ write: @escaping () throws -> Void) {
        let job = SpecWrite(write)
        specWrites.withLock { $0[id] = job }
    }

    /// Writes every deferred config.json still pending (creates whose start never came).
    static func finishAllSpecs() {
        let pending = specWrites.withLock { w -> [SpecWrite] in
            defer { w.removeAll() }
            return Array(w.values)
        }
        for job in pending { try? job.write() }
    }

    /// Writes a deferred config.json of `id`, if any (once).
    static func finishSpec(_ id: ContainerID) throws {
        guard let job = specWrites.withLock({ $0.removeValue(forKey: id) }) else { return }
        try job.write()
    }

    static func begin(_ id: ContainerID, path: String, limits: CgroupLimits, runtime: Runtime, prime: Bool) {
        let cgroups = runtime.cgroups, layout = runtime.layout
        let work = Threads.start {
            Trace.mark("cgroups: begin")
            try cgroups.recreate(path, limits: limits)
            Trace.mark("cgroups: made")
            if prime { MigrationPrimer.prime(layout: layout) }
        }
        let job = Job(work)
        jobs.withLock { $0[id] = job }
    }

    /// True when cgroups are being prepared for `id` (not yet taken).
    static func isPending(_ id: ContainerID) -> Bool { jobs.withLock { $0[id] != nil } }

    /// Waits for the cgroups prepared for `id`; true when they are ready, false when none were
    /// prepared or making them failed (the caller then makes them itself).
    static func take(_ id: ContainerID) -> Bool {
        guard let job = jobs.withLock({ $0.removeValue(forKey: id) }) else { return false }
        return (try? job.work.join()) != nil
    }
}
