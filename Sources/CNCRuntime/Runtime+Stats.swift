import CNCCgroups
import CNCCore
import CNCSystem
import Foundation

/// One `cnc stats` sample.
public struct ContainerStats: Sendable {
    public var cgroup: CgroupStats
    public var netRx: Int64 = 0
    public var netTx: Int64 = 0
    public var sampledAt: Int64
}

/// A row of `cnc top`.
public struct ProcessRow: Sendable {
    public var pid: Int32
    public var ppid: Int32
    public var uid: UInt32
    public var cpuTicks: Int64
    public var command: String
}

extension Runtime {
    public func stats(_ c: Container) throws -> ContainerStats {
        var s = ContainerStats(cgroup: try cgroups.stats(c.config.cgroupPath), sampledAt: Processes.monotonicNanos())
        if c.state.pid > 0, let dev = try? FileSystem.readText("/proc/\(c.state.pid)/net/dev") {
            for line in dev.split(separator: "\n").dropFirst(2) {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, String(parts[0]).trimmingSpaces != "lo" else { continue }
                let f = parts[1].split(separator: " ")
                if f.count >= 9 { s.netRx += Int64(f[0]) ?? 0; s.netTx += Int64(f[8]) ?? 0 }
            }
        }
        return s
    }

    /// The container's processes, from its cgroup and /proc.
    public func top(_ c: Container) -> [ProcessRow] {
        cgroups.processes(c.config.cgroupPath).sorted().compactMap { pid in
            guard let stat = try? FileSystem.readText("/proc/\(pid)/stat"),
                  let paren = stat.range(of: ")", options: .backwards) else { return nil }
            let f = stat[paren.upperBound...].split(separator: " ")
            let ppid = f.count > 1 ? Int32(f[1]) ?? 0 : 0
            let ticks = f.count > 12 ? (Int64(f[11]) ?? 0) + (Int64(f[12]) ?? 0) : 0
            var uid: UInt32 = 0
            if let status = try? FileSystem.readText("/proc/\(pid)/status"),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) {
                uid = UInt32(line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first ?? "0") ?? 0
            }
            let cmd = ((try? FileSystem.readBytes("/proc/\(pid)/cmdline")) ?? []).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            return ProcessRow(pid: pid, ppid: ppid, uid: uid, cpuTicks: ticks, command: cmd)
        }
    }

    /// `cnc update`: new limits applied live and saved; a new restart policy applies from the
    /// next start.
    /// `limits` follows CgroupLimits' rules: absent fields stay, -1 removes a limit. The
    /// container's complete limits after the update are checked as `run` checks them.
    /// `dockerRules` (the CLI's `cnc update`): the flags are read as docker's update reads them
    /// (CgroupLimits.dockerUpdate: the swap limit kept, a memory limit above it refused).
    public func update(_ ref: String, limits: CgroupLimits, restart: RestartPolicy?, dockerRules: Bool = false) throws {
        let c = try container(ref)
        var cfg = c.config
        var limits = limits
        if dockerRules {
            do { limits = try cfg.limits.dockerUpdate(limits) } catch let e as CNCError {
                throw CNCError(e.code, "Cannot update container \(cfg.id.rawValue): \(e.message)")
            }
        }
        cfg.limits = cfg.limits.merging(limits)
        try cfg.limits.validateOnHost()
        if let refusal = cgroups.refusal(limits) { throw refusal }
        if let restart { cfg.restartPolicy = restart }
        var write = limits
        if limits.memory != nil || limits.memorySwap != nil {
            // Memory and swap are written as a pair (v1 keeps memsw >= memory at every step):
            // the swap a user set stays unless this update changes it.
            write.memory = cfg.limits.memory ?? CgroupLimits.unlimited
            write.memorySwap = cfg.limits.memorySwap
        }
        if c.state.isActive { try cgroups.update(cfg.cgroupPath, limits: write) }
        try store.saveConfig(cfg)
        try writeOCISpec(cfg, dir: c.directory)
    }

    /// `cnc cp`: host <-> container, resolved inside the container's root. A running container
    /// is reached through /proc/<pid>/root; a stopped one through a helper that holds its
    /// overlay mounted in a private mount namespace.
    /// `followLink` (-L): a symlink at `path` is copied as what it points to (resolved inside
    /// the container's root); otherwise as the link itself, as docker cp does.
    /// In a user namespace owners are mapped as docker cp maps them under userns-remap: out,
    /// host ids become the container's; in, the host's ids are taken as the container's (host
    /// root's files become the mapped root's).
    /// A source the container does not have is docker's "Could not find the file PATH in
    /// container NAME" (the lookup inside the root is the only openat2 of the copy).
    public func copy(from container: Container, path: String, toHost dest: String, followLink: Bool = false) throws {
        do {
            try withRoot(container) { try SafeCopy.copyOut(root: $0, path: path, to: dest, followLink: followLink, mapOwner: container.config.ownerInContainer) }
        } catch let e as CNCError where e.errnoCode == ENOENT && e.message.hasPrefix("openat2 ") {
            throw CNCError(.notFound, "Could not find the file \(path) in container \(container.config.name)")
        }
    }

    public func copy(fromHost source: String, to container: Container, path: String, followLink: Bool = false) throws {
        try withRoot(container) { try SafeCopy.copyIn(source, root: $0, path: path, followLink: followLink, mapOwner: container.config.ownerOnHost) }
    }

    /// `cncapply watch`'s sync: `path` in the container becomes what host `source` is now
    /// (copied, or removed when `source` is gone), resolved inside its root like `cnc cp`.
    public func sync(fromHost source: String, to container: Container, path: String) throws {
        try withRoot(container) { try SafeCopy.sync(source, root: $0, path: path, mapOwner: container.config.ownerOnHost) }
    }

    func withRoot(_ c: Container, _ body: (String) throws -> Void) throws {
        if c.state.isActive, c.state.pid > 0 { return try body("/proc/\(c.state.pid)/root") }
        try holdRootfs(c, readOnly: false, body)
    }

    /// Runs `body` with a path to the container's own filesystem (image layers plus its upper
    /// dir, no mounts of the runtime or volumes), held by `cnc-init mount` in a private mount
    /// namespace. `readOnly` (`mount-ro`): the upper dir is the top lower of a read-only
    /// overlay, which works while the container runs too.
    func holdRootfs(_ c: Container, readOnly: Bool, _ body: (String) throws -> Void) throws {
        guard c.config.lowerDirs.count > 0, FileSystem.isDirectory(c.directory + "/upper") else {
            throw CNCError(.unsupported, "container \(c.config.name) has no root filesystem to copy from")
        }
        let stdin = try CNCSystem.Pipe(), stdout = try CNCSystem.Pipe()
        let opts: Spawn.Options = {
            var o = Spawn.Options()
            o.fdMap = [stdin.read.raw, stdout.write.raw, 2]
            return o
        }()
        let pid = try Spawn.spawn(initBinary, arguments: ["cnc-init", readOnly ? "mount-ro" : "mount", c.directory + "/init.conf"], environment: [], options: opts)
        stdin.read.close()
        stdout.write.close()
        var reader = LineReader(fd: stdout.read.raw)
        let ready = reader.next()
        stdout.read.close()
        let outcome = Result { () throws -> Void in
            guard ready == "ready" else { throw CNCError(.system, "failed to mount the root filesystem of \(c.config.name)") }
            try body("/proc/\(pid)/root" + c.directory + "/rootfs")
        }
        // The helper holds the mount until its stdin closes.
        stdin.write.close()
        _ = try? Spawn.wait(pid)
        try outcome.get()
    }
}
