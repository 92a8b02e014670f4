import CNCCgroups
import CNCCore
import CNCSystem
import Testing

/// What CgroupManager promises, as one list of checks that runs against every driver: the
/// cgroupfs v1 and v2 writers on fixture trees (unit tier) and on this host's hierarchy
/// (integration tier). A driver joins by adding its factory to the argument lists of those
/// tests; a check joins here and runs against all of them.
public enum CgroupContract {
    public static let checks: [CgroupContractCheck] = [
        CgroupContractCheck("create makes the cgroup with its limits", createMakesTheCgroupWithItsLimits),
        CgroupContractCheck("update changes only what it sets", updateChangesOnlyWhatItSets),
        CgroupContractCheck("update of a missing cgroup is notFound", updateOfAMissingCgroupFails),
        CgroupContractCheck("bad paths are refused", badPathsAreRefused),
        CgroupContractCheck("processes join; remove kills them", processesJoinAndRemoveKillsThem),
        CgroupContractCheck("freeze and thaw", freezeAndThaw),
        CgroupContractCheck("remove: idempotent, own parent goes, others stay", removeHandlesParents),
        CgroupContractCheck("recreate replaces limits", recreateReplaces),
        CgroupContractCheck("containerView shows the cgroup's directories", containerViewShowsTheCgroup),
        CgroupContractCheck("stats of a new cgroup", statsOfANewCgroup),
    ]

    /// Limits every driver can apply (v2 has no oom-kill-disable; cpuset/blkio depend on the
    /// host's devices): kept small so the limit semantics can change under them.
    static var limits: CgroupLimits {
        var l = CgroupLimits()
        l.cpuQuota = 20_000
        l.cpuPeriod = 100_000
        l.memory = 32 << 20
        l.pids = 7
        return l
    }

    static func createMakesTheCgroupWithItsLimits(_ bed: CgroupTestbed) throws {
        let path = bed.newPath()
        #expect(!bed.manager.exists(path))
        try bed.create(path, limits: limits)
        defer { bed.remove(path) }
        #expect(bed.manager.exists(path))
        #expect(!bed.manager.exists(bed.newPath()), "a sibling that was never made")
        #expect(bed.limit(.pids, path) == 7)
        #expect(bed.limit(.memory, path) == 32 << 20)
        #expect(bed.limit(.cpuQuota, path) == 20_000)
    }

    static func updateChangesOnlyWhatItSets(_ bed: CgroupTestbed) throws {
        try bed.withCgroup(limits) { path in
            var u = CgroupLimits()
            u.pids = 9
            try bed.manager.update(path, limits: u)
            #expect(bed.limit(.pids, path) == 9)
            #expect(bed.limit(.memory, path) == 32 << 20)
            #expect(bed.limit(.cpuQuota, path) == 20_000)
            u = CgroupLimits()
            u.memory = 48 << 20
            u.memorySwap = 96 << 20
            try bed.manager.update(path, limits: u)
            #expect(bed.limit(.memory, path) == 48 << 20)
            #expect(bed.limit(.pids, path) == 9)
        }
    }

    static func updateOfAMissingCgroupFails(_ bed: CgroupTestbed) throws {
        #expect { try bed.manager.update(bed.newPath(), limits: limits) } throws: { ($0 as? CNCError)?.code == .notFound }
    }

    static func badPathsAreRefused(_ bed: CgroupTestbed) throws {
        for bad in ["", "/abs", "a/../b", "a//b", ".", bed.parent + "/.."] {
            #expect(throws: CNCError.self, "create \"\(bad)\"") { try bed.manager.create(bad, limits: CgroupLimits()) }
            #expect(throws: CNCError.self, "remove \"\(bad)\"") { try bed.manager.remove(bad) }
        }
    }

    static func processesJoinAndRemoveKillsThem(_ bed: CgroupTestbed) throws {
        try bed.withCgroup(limits) { path in
            let files = bed.manager.procsFiles(path)
            #expect(!files.isEmpty)
            for f in files { #expect(FileSystem.exists(f), "\(f)") }
            let pid = try Spawn.spawn("/bin/sleep", arguments: ["sleep", "60"], environment: [])
            var reaped = false
            defer { if !reaped { _ = try? Processes.signal(pid, 9); _ = try? Spawn.wait(pid) } }
            try bed.manager.addProcess(pid, to: path)
            #expect(Set(bed.manager.processes(path)) == Set(bed.holder(path) + [pid]))
            guard bed.isKernel else { return }  // a fixture's cgroup.procs is a plain file
            #expect(try bed.manager.stats(path).pids == Int64(1 + bed.holder(path).count))
            try bed.manager.remove(path)
            #expect(try Spawn.wait(pid) == .signaled(9))
            reaped = true
            #expect(!bed.manager.exists(path))
        }
    }

    static func freezeAndThaw(_ bed: CgroupTestbed) throws {
        try bed.withCgroup(CgroupLimits()) { path in
            #expect(!bed.manager.isFrozen(path))
            try bed.manager.freeze(path)
            #expect(bed.manager.isFrozen(path))
            try bed.manager.thaw(path)
            #expect(!bed.manager.isFrozen(path))
        }
    }

    static func removeHandlesParents(_ bed: CgroupTestbed) throws {
        let a = bed.newPath(), b = bed.newPath()
        try bed.create(a, limits: limits)
        try bed.create(b, limits: CgroupLimits())
        try bed.removeKeepingParents(a)
        #expect(!bed.manager.exists(a) && bed.manager.exists(b))
        #expect(bed.manager.exists(bed.parent), "removeKeepingParents keeps the parent")
        try bed.removeOrThrow(b)
        #expect(!bed.manager.exists(b))
        // Only cnc's own parent goes once empty; one given with --cgroup-parent stays.
        #expect(bed.manager.exists(bed.parent) == (bed.parent != "cnc"), "parent \(bed.parent)")
        try bed.removeOrThrow(b)  // a missing cgroup is fine (crash recovery)
    }

    static func recreateReplaces(_ bed: CgroupTestbed) throws {
        try bed.withCgroup(limits) { path in
            var l = CgroupLimits()
            l.pids = 5
            try bed.recreate(path, limits: l)
            #expect(bed.manager.exists(path))
            #expect(bed.limit(.pids, path) == 5)
        }
    }

    static func containerViewShowsTheCgroup(_ bed: CgroupTestbed) throws {
        try bed.withCgroup(CgroupLimits()) { path in
            let view = bed.manager.containerView(path)
            #expect(!view.binds.isEmpty)
            for bind in view.binds { #expect(FileSystem.isDirectory(bind.source), "\(bind.source)") }
            // The view shows each directory the container's processes are in, and nothing else.
            #expect(Set(view.binds.map(\.source)) == Set(bed.manager.procsFiles(path).map(FileSystem.directoryName)))
            if view.unified {
                #expect(view.binds.count == 1 && view.binds.first?.name == "" && view.links.isEmpty)
            } else {
                let names = view.binds.map(\.name)
                #expect(Set(names).count == names.count && !names.contains(""))
                for link in view.links { #expect(names.contains(link.target) && !names.contains(link.name), "\(link)") }
            }
            if let oom = bed.manager.oomCounter(path) {
                #expect(view.binds.contains { oom.file.hasPrefix($0.source + "/") }, "\(oom.file)")
            }
        }
    }

    static func statsOfANewCgroup(_ bed: CgroupTestbed) throws {
        try bed.withCgroup(limits) { path in
            let s = try bed.manager.stats(path)
            #expect(s.pids == Int64(bed.holder(path).count) && s.cpuUsageNanos >= 0 && s.memoryUsage >= 0)
            #expect(s.memoryLimit == 32 << 20)
        }
    }
}

/// One named check of the contract (a test argument).
public struct CgroupContractCheck: Sendable, CustomTestStringConvertible {
    public let name: String
    let body: @Sendable (CgroupTestbed) throws -> Void
    init(_ name: String, _ body: @escaping @Sendable (CgroupTestbed) throws -> Void) {
        self.name = name
        self.body = body
    }
    public var testDescription: String { name }

    /// Runs the check on a fresh testbed of `driver`, and cleans the testbed up.
    public func run(on driver: CgroupDriverFactory) throws {
        let bed = try driver.make()
        defer { bed.cleanup() }
        try body(bed)
    }
}
