import CNCCgroups
import CNCCore
import CNCSystem
import CNCSystemd
import Testing

/// A driver under test, as a test argument: makes a fresh testbed per check.
public struct CgroupDriverFactory: Sendable, CustomTestStringConvertible {
    public let name: String
    public let make: @Sendable () throws -> CgroupTestbed
    public init(_ name: String, make: @escaping @Sendable () throws -> CgroupTestbed) {
        self.name = name
        self.make = make
    }
    public var testDescription: String { name }
}

/// A limit the contract reads back from the driver's files.
public enum CgroupLimitKey: Sendable { case cpuQuota, memory, pids }

/// One CgroupManager with what the contract needs beyond the protocol: where to read a limit
/// back, the parent its cgroups go under, and, on a fixture tree, a stand-in for the two things
/// the kernel does that a plain directory does not (interface files appear at mkdir; rmdir
/// ignores them).
public struct CgroupTestbed: Sendable {
    public let manager: any CgroupManager
    /// A real hierarchy: processes really join, the kernel kills and counts.
    public let isKernel: Bool
    /// The parent of every cgroup a check makes ("cnc" on fixtures: the driver removes its own
    /// parent when empty; a private one on the host, so checks never touch cnc's real parent).
    public let parent: String
    let readLimit: @Sendable (CgroupLimitKey, String) -> Int64?
    let cleanupBody: @Sendable () -> Void
    /// The driver's cgroups exist only with a process in them (systemd's scopes): `create`
    /// puts a sleeping holder in each, which `remove` kills and the testbed reaps.
    public let needsProcess: Bool
    let holders = Holders()

    final class Holders: @unchecked Sendable {
        var pids: [String: Int32] = [:]
    }

    public init(manager: any CgroupManager, isKernel: Bool, parent: String, needsProcess: Bool = false,
                readLimit: @escaping @Sendable (CgroupLimitKey, String) -> Int64?, cleanup: @escaping @Sendable () -> Void) {
        self.manager = manager
        self.isKernel = isKernel
        self.parent = parent
        self.needsProcess = needsProcess
        self.readLimit = readLimit
        self.cleanupBody = cleanup
    }

    /// The holder process of `path`, if the driver needs one.
    public func holder(_ path: String) -> [Int32] { holders.pids[path].map { [$0] } ?? [] }

    /// Puts a holder into a cgroup just made, when the driver needs one.
    func populate(_ path: String) throws {
        guard needsProcess else { return }
        let pid = try Spawn.spawn("/bin/sleep", arguments: ["sleep", "600"], environment: [])
        holders.pids[path] = pid
        do { try manager.addProcess(pid, to: path) } catch {
            reap(path)
            throw error
        }
    }

    /// Kills and waits for the holder of `path`.
    func reap(_ path: String) {
        guard let pid = holders.pids.removeValue(forKey: path) else { return }
        _ = try? Processes.signal(pid, 9)
        _ = try? Spawn.wait(pid)
    }

    public func newPath() -> String { parent + "/" + ContainerID.random().short }
    public func limit(_ key: CgroupLimitKey, _ path: String) -> Int64? { readLimit(key, path) }
    public func cleanup() {
        for path in Array(holders.pids.keys) { try? manager.remove(path); reap(path) }
        cleanupBody()
    }

    public func create(_ path: String, limits: CgroupLimits) throws {
        try manager.create(path, limits: limits)
        created(path)
        try populate(path)
    }

    /// `recreate` of the manager, with a new holder when the driver needs one.
    public func recreate(_ path: String, limits: CgroupLimits) throws {
        removing(path)
        try manager.recreate(path, limits: limits)
        reap(path)
        created(path)
        try populate(path)
    }

    /// Runs `body` with a new cgroup made with `limits`, removed afterwards.
    public func withCgroup(_ limits: CgroupLimits, _ body: (String) throws -> Void) throws {
        let path = newPath()
        try create(path, limits: limits)
        defer { remove(path) }
        try body(path)
    }

    /// Removes `path`, recording a failure (for `defer`).
    public func remove(_ path: String) {
        removing(path)
        #expect(throws: Never.self) { try manager.remove(path) }
        reap(path)
    }

    public func removeOrThrow(_ path: String) throws {
        removing(path)
        defer { reap(path) }
        try manager.remove(path)
    }

    public func removeKeepingParents(_ path: String) throws {
        removing(path)
        defer { reap(path) }
        try manager.removeKeepingParents(path)
    }

    /// The cgroup's directories in every hierarchy (where its cgroup.procs files are).
    func directories(_ path: String) -> Set<String> { Set(manager.procsFiles(path).map(FileSystem.directoryName)) }

    /// Fixture only: the kernel gives every new cgroup its cgroup.procs.
    func created(_ path: String) {
        guard !isKernel else { return }
        for d in directories(path) where !FileSystem.exists(d + "/cgroup.procs") { try? FileSystem.writeValue("", to: d + "/cgroup.procs") }
    }

    /// Fixture only: the kernel rmdirs a cgroup with its interface files (and its parent's);
    /// a plain directory must be emptied first.
    func removing(_ path: String) {
        guard !isKernel else { return }
        let dirs = directories(path)
        for d in dirs.union(dirs.map(FileSystem.directoryName)) {
            for name in (try? FileSystem.listDirectory(d)) ?? [] where !FileSystem.isDirectory(d + "/" + name) {
                try? FileSystem.remove(d + "/" + name)
            }
        }
    }
}

extension CgroupTestbed {
    /// The cgroupfs drivers' limit files, read back: nil when unlimited ("max", -1, or v1's
    /// page-rounded LONG_MAX).
    static func value(_ file: String?) -> Int64? {
        guard let file, let text = try? FileSystem.readText(file) else { return nil }
        guard let first = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first, let n = Int64(first), n >= 0, n < 1 << 62 else { return nil }
        return n
    }

    public static func cgroupfsLimitReader(_ manager: any CgroupManager) -> @Sendable (CgroupLimitKey, String) -> Int64? {
        if let v1 = manager as? CgroupfsV1 {
            return { key, path in
                switch key {
                case .cpuQuota: Self.value(v1.directory("cpu", path).map { $0 + "/cpu.cfs_quota_us" })
                case .memory: Self.value(v1.directory("memory", path).map { $0 + "/memory.limit_in_bytes" })
                case .pids: Self.value(v1.directory("pids", path).map { $0 + "/pids.max" })
                }
            }
        }
        if let v2 = manager as? CgroupfsV2 {
            return { key, path in
                let d = v2.directory(path)
                switch key {
                case .cpuQuota: return Self.value(d + "/cpu.max")
                case .memory: return Self.value(d + "/memory.max")
                case .pids: return Self.value(d + "/pids.max")
                }
            }
        }
        return { _, _ in nil }
    }
}

/// The drivers every tier knows: cgroupfs on fixture trees (no root) and on this host.
extension CgroupDriverFactory {
    /// CgroupfsV1 over a temp tree with one directory per hierarchy, as mountinfo describes it.
    public static func v1Fixture(comounted: Bool) -> CgroupDriverFactory {
        CgroupDriverFactory(comounted ? "cgroupfs v1 fixture (cpu,cpuacct co-mounted)" : "cgroupfs v1 fixture") {
            let root = try FileStream.createTemporaryDirectory(in: "/tmp", prefix: "cnc-cgfixture-")
            let hierarchies = comounted ? ["cpu,cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"]
                                        : ["cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer"]
            var mountinfo = ""
            for (i, h) in hierarchies.enumerated() {
                try FileSystem.createDirectory(root + "/" + h)
                mountinfo += "\(30 + i) 20 0:\(40 + i) / \(root)/\(h) rw - cgroup cgroup rw,\(h)\n"
            }
            try FileSystem.writeValue("0-1", to: root + "/cpuset/cpuset.cpus")
            try FileSystem.writeValue("0", to: root + "/cpuset/cpuset.mems")
            let m = CgroupfsV1(layout: CgroupLayout.discover(mountinfo: mountinfo) { _ in nil })
            return CgroupTestbed(manager: m, isKernel: false, parent: "cnc", readLimit: CgroupTestbed.cgroupfsLimitReader(m),
                                 cleanup: { try? FileSystem.removeTree(root) })
        }
    }

    /// CgroupfsV2 over a temp tree whose root offers the controllers cnc uses.
    public static let v2Fixture = CgroupDriverFactory("cgroupfs v2 fixture") {
        let root = try FileStream.createTemporaryDirectory(in: "/tmp", prefix: "cnc-cgfixture-")
        try FileSystem.writeValue("cpuset cpu io memory hugetlb pids", to: root + "/cgroup.controllers")
        try FileSystem.writeValue("", to: root + "/cgroup.subtree_control")
        let m = CgroupfsV2(mountPoint: root)
        return CgroupTestbed(manager: m, isKernel: false, parent: "cnc", readLimit: CgroupTestbed.cgroupfsLimitReader(m),
                             cleanup: { try? FileSystem.removeTree(root) })
    }

    /// The cgroupfs driver this host's layout picks, on the real hierarchy, under a private
    /// parent removed afterwards from every hierarchy.
    public static let hostCgroupfs = CgroupDriverFactory("cgroupfs on this host") {
        let layout = CgroupManagers.hostLayout()
        let m = try CgroupManagers.cgroupfs(layout: layout)
        let parent = "cnc-contract-" + ContainerID.random().short
        return CgroupTestbed(manager: m, isKernel: true, parent: parent, readLimit: CgroupTestbed.cgroupfsLimitReader(m), cleanup: {
            for h in layout.v1 { try? FileSystem.removeDirectory(h.mountPoint + "/" + parent) }
            if let u = layout.unifiedMountPoint { try? FileSystem.removeDirectory(u + "/" + parent) }
        })
    }

    /// Root and a mounted hierarchy: what the host driver needs.
    public static var hostIsWritable: Bool {
        Host.effectiveUserID == 0 && CgroupManagers.hostLayout().mode != .none
    }
}

extension CgroupDriverFactory {
    /// The systemd driver on the systemd this process talks to (run inside SystemdHarness),
    /// its scopes in a private slice that is stopped afterwards; over sd-bus, as cnc-cli.
    public static let systemdHere = systemd("systemd over sd-bus (a real systemd)") { SDBusClient() }
    /// The same over cnc's wire client, as the static front's fast path.
    public static let systemdHereWire = systemd("systemd over the wire client (a real systemd)") { SystemdBus() }

    static func systemd(_ name: String, _ client: @escaping @Sendable () -> any SystemdManagerClient) -> CgroupDriverFactory {
        CgroupDriverFactory(name) { try systemdTestbed(client()) }
    }

    static func systemdTestbed(_ bus: any SystemdManagerClient) throws -> CgroupTestbed {
        let layout = CgroupManagers.hostLayout()
        let m = try SystemdCgroupManager(layout: layout, bus: bus)
        let read = CgroupTestbed.cgroupfsLimitReader(try CgroupManagers.cgroupfs(layout: layout))
        let slice = "cnccontract_" + ContainerID.random().short + ".slice"
        return CgroupTestbed(manager: m, isKernel: true, parent: slice, needsProcess: true, readLimit: { key, path in
            (try? SystemdScope(path: path)).flatMap { read(key, $0.cgroupPath) }
        }, cleanup: {
            _ = try? m.bus.stopUnit(slice)
            for h in layout.v1 { try? FileSystem.removeDirectory(h.mountPoint + "/" + slice) }
        })
    }
}
