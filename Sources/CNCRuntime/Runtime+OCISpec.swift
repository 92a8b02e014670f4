import CInit
import CNCCgroups
import CNCCore
import CNCOCI
import CNCSystem
import Foundation

extension Runtime {
    /// The OCI runtime-spec view of a container, written as config.json in its directory so
    /// other tools (and people) can read what cnc runs.
    public func ociSpec(_ c: ContainerConfig, dir: String) throws -> OCIRuntimeSpec {
        let caps = try Capabilities.effective(add: c.capAdd, drop: c.capDrop).map { "CAP_" + $0 }
        var process = OCIRuntimeSpec.Process(
            terminal: c.tty, args: c.argv, env: workloadEnv(c), cwd: c.workingDir.isEmpty ? "/" : c.workingDir,
            capabilities: .init(bounding: caps, effective: caps, inheritable: caps, permitted: caps),
            rlimits: c.ulimits.map { .init(type: "RLIMIT_" + $0.name.uppercased(), hard: $0.hard, soft: $0.soft) },
            noNewPrivileges: c.noNewPrivileges)
        process.user.username = c.user.isEmpty ? nil : c.user
        process.oomScoreAdj = c.oomScoreAdj
        var mounts: [OCIRuntimeSpec.Mount] = [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev/shm", type: "tmpfs", source: "shm",
                  options: ["nosuid", "noexec", "nodev", "mode=1777", "size=\(c.shmSize ?? 67_108_864)"]),
            .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]
        for f in ["hosts", "hostname", "resolv.conf"] {
            mounts.append(.init(destination: "/etc/" + f, type: "bind", source: dir + "/" + f, options: ["rbind", "rprivate"]))
        }
        for m in c.mounts {
            switch m.type {
            case .bind, .volume:
                mounts.append(.init(destination: m.target, type: "bind", source: m.type == .bind ? m.source : volumePath(m.source),
                                    options: ["rbind", m.readOnly ? "ro" : "rw"]))
            case .tmpfs:
                mounts.append(.init(destination: m.target, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"] + m.options.split(separator: ",").map(String.init)))
            }
        }
        var namespaces: [OCIRuntimeSpec.Namespace] = [.init(type: .mount)]
        if c.pidMode != .host { namespaces.append(.init(type: .pid)) }
        if c.ipcMode != .host { namespaces.append(.init(type: .ipc)) }
        if c.utsMode != .host { namespaces.append(.init(type: .uts)) }
        if c.cgroupns == .private { namespaces.append(.init(type: .cgroup)) }
        switch c.network {
        case .host: break
        case .container: namespaces.append(.init(type: .network, path: try? networkNamespacePath(c)))
        default: namespaces.append(.init(type: .network))
        }
        let l = c.limits
        var resources = OCIRuntimeSpec.Resources()
        resources.devices = [.init(allow: false, access: "rwm")] + (DeviceRule.defaults + (l.deviceRules ?? [])).map {
            .init(allow: true, type: $0.type, major: $0.major, minor: $0.minor, access: $0.access)
        }
        if l.memory != nil || l.memoryReservation != nil || l.memorySwap != nil || l.oomKillDisable != nil {
            resources.memory = .init(limit: l.memory, reservation: l.memoryReservation, swap: l.effectiveMemorySwap, disableOOMKiller: l.oomKillDisable)
        }
        if l.cpuQuota != nil || l.cpuShares != nil || l.cpusetCpus != nil || l.cpuPeriod != nil {
            resources.cpu = .init(shares: l.cpuShares.map { UInt64($0) }, quota: l.cpuQuota, period: l.cpuPeriod.map { UInt64($0) },
                                  cpus: l.cpusetCpus, mems: l.cpusetMems)
        }
        if let p = l.pids { resources.pids = .init(limit: p) }
        if let w = l.blkioWeight { resources.blockIO = .init(weight: UInt16(clamping: w)) }
        var linux = OCIRuntimeSpec.Linux(namespaces: namespaces, cgroupsPath: c.cgroupPath, resources: resources,
                                          maskedPaths: c.systemPathsUnconfined ? nil : Self.maskedPaths,
                                          readonlyPaths: c.systemPathsUnconfined ? nil : Self.readonlyPaths)
        linux.rootfsPropagation = "rprivate"
        linux.sysctl = c.sysctls
        if let devices = c.devices {
            linux.devices = devices.map { .init(type: $0.type, path: $0.containerPath, major: $0.major, minor: $0.minor,
                                                fileMode: $0.fileMode & 0o7777, uid: $0.uid, gid: $0.gid) }
        }
        if let custom = try customSeccomp(c) {
            linux.seccomp = custom
        } else if !c.seccompUnconfined {
            linux.seccomp = .init(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
                                  architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                                  syscalls: try Self.seccompRules(caps: try capNumbers(c)))
        }
        var annotations = c.labels
        annotations["org.cnc.name"] = c.name
        annotations["org.cnc.image"] = c.image
        annotations["org.cnc.rootfs.lowers"] = c.lowerDirs.joined(separator: ":")
        return OCIRuntimeSpec(process: process, root: .init(path: dir + "/rootfs", readonly: c.readOnly), hostname: c.hostname,
                              mounts: mounts, annotations: annotations, linux: linux)
    }

    /// The rules cnc-init's default profile applies (cinit_security.c), as OCI syscall rules:
    /// the allow-list, socket without AF_VSOCK, the personalities Docker allows, and — without
    /// CAP_SYS_ADMIN — clone without namespace flags and clone3 failing with ENOSYS.
    static func seccompRules(caps: [Int]) throws -> [OCIRuntimeSpec.Syscall] {
        var names = [UnsafePointer<CChar>?](repeating: nil, count: 1024)
        let n = caps.map { Int32($0) }.withUnsafeBufferPointer { cp in
            names.withUnsafeMutableBufferPointer { cinit_seccomp_allowed(cp.baseAddress, Int32(cp.count), $0.baseAddress, Int32($0.count)) }
        }
        var rules = [OCIRuntimeSpec.Syscall(names: names.prefix(Int(n)).compactMap { $0.map { String(cString: $0) } }, action: "SCMP_ACT_ALLOW")]
        rules.append(.init(names: ["socket"], action: "SCMP_ACT_ALLOW", args: [.init(index: 0, value: 40, op: "SCMP_CMP_NE")]))
        for p: UInt64 in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
            rules.append(.init(names: ["personality"], action: "SCMP_ACT_ALLOW", args: [.init(index: 0, value: p, op: "SCMP_CMP_EQ")]))
        }
        if !caps.contains(21) {
            rules.append(.init(names: ["clone"], action: "SCMP_ACT_ALLOW",
                               args: [.init(index: 0, value: 0x7E02_0000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")]))
            rules.append(.init(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38))
        }
        return rules
    }

    func writeOCISpec(_ c: ContainerConfig, dir: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        try FileSystem.writeReplacing(Array(try enc.encode(try ociSpec(c, dir: dir))), to: dir + "/config.json")
    }
}
