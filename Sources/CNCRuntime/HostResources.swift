import CNCCgroups
import CNCCore
import CNCSystem

/// What a container may take from the host beyond its image: device nodes (`--device`,
/// Compose `devices`) and namespaced kernel parameters (`--sysctl`, `sysctls`), checked the
/// way Docker checks them when the container is made.
public enum HostResources {
    /// `HOST[:CONTAINER[:PERMISSIONS]]` (a second field made only of r, w and m is the
    /// permissions, as Docker reads `/dev/fuse:rwm`).
    static func isPermissions(_ s: String) -> Bool { !s.isEmpty && s.count <= 3 && s.allSatisfy { "rwm".contains($0) } }

    public static func parseDevice(_ text: String) throws -> (host: String, container: String, permissions: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var host = "", container = "", permissions = "rwm"
        switch parts.count {
        case 1: host = parts[0]; container = parts[0]
        case 2 where isPermissions(parts[1]): host = parts[0]; container = parts[0]; permissions = parts[1]
        case 2: host = parts[0]; container = parts[1]
        case 3: host = parts[0]; container = parts[1]; permissions = parts[2]
        default: throw CNCError(.invalidArgument, "invalid device specification \"\(text)\" (want HOST[:CONTAINER[:PERMISSIONS]])")
        }
        guard host.hasPrefix("/"), container.hasPrefix("/") else {
            throw CNCError(.invalidArgument, "invalid device specification \"\(text)\": paths must be absolute")
        }
        guard isPermissions(permissions) else {
            throw CNCError(.invalidArgument, "invalid device specification \"\(text)\": permissions \"\(permissions)\" are not a subset of rwm")
        }
        return (host, container, permissions)
    }

    /// The device nodes `text` names on this host: one for a device file (a symlink is followed
    /// to it), every device below a directory (as Docker does for `--device /dev/snd`).
    public static func devices(_ text: String) throws -> [DeviceNode] {
        let (host, container, permissions) = try parseDevice(text)
        return try devices(host: host, container: container, permissions: permissions)
    }

    /// The device nodes of one typed mapping (a Compose `devices` entry), checked as `--device`.
    public static func devices(host: String, container: String, permissions: String) throws -> [DeviceNode] {
        guard isPermissions(permissions) else {
            throw CNCError(.invalidArgument, "invalid device \"\(host)\": permissions \"\(permissions)\" are not a subset of rwm")
        }
        let info: FileSystem.NodeInfo
        do { info = try FileSystem.nodeInfo(host) } catch let e as CNCError {
            throw CNCError(.invalidArgument, "error gathering device information while adding custom device \"\(host)\"", cause: e.description)
        }
        if info.isDirectory { return nodes(in: host, as: container, permissions: permissions) }
        guard let node = node(info, host: host, container: container, permissions: permissions) else {
            throw CNCError(.invalidArgument, "\"\(host)\" is not a device node")
        }
        return [node]
    }

    /// Every device node in `dir` and below (symlinks not followed; `skip`: names directly in
    /// `dir` to leave out), at the same place under `containerDir`.
    static func nodes(in dir: String, as containerDir: String, permissions: String, skip: Set<String> = []) -> [DeviceNode] {
        var out: [DeviceNode] = []
        for name in (try? FileSystem.listDirectory(dir)) ?? [] where !skip.contains(name) {
            let path = dir + "/" + name, target = containerDir + "/" + name
            if FileSystem.isSymlink(path) { continue }
            guard let info = try? FileSystem.nodeInfo(path) else { continue }
            if info.isDirectory { out += nodes(in: path, as: target, permissions: permissions); continue }
            if let n = node(info, host: path, container: target, permissions: permissions) { out.append(n) }
        }
        return out
    }

    static func node(_ info: FileSystem.NodeInfo, host: String, container: String, permissions: String) -> DeviceNode? {
        guard let type = info.deviceType else { return nil }
        return DeviceNode(hostPath: host, containerPath: container, permissions: permissions, type: type,
                          major: info.major, minor: info.minor, fileMode: info.mode, uid: info.uid, gid: info.gid)
    }

    /// `--device-read-bps PATH:RATE` and friends: the block device's numbers and the rate
    /// (bytes with a unit for *-bps, a count for *-iops).
    public static func throttle(_ kind: BlkioThrottle.Kind, _ text: String, flag: String) throws -> BlkioThrottle {
        guard let colon = text.lastIndex(of: ":"), text.hasPrefix("/") else {
            throw CNCError(.invalidArgument, "invalid \(flag) \"\(text)\": want DEVICE:RATE (/dev/sda:1mb)")
        }
        let path = String(text[..<colon]), rateText = String(text[text.index(after: colon)...])
        let rate: Int64
        switch kind {
        case .readBps, .writeBps: rate = try ByteSize(parsing: rateText).bytes
        case .readIOps, .writeIOps:
            guard let n = Int64(rateText) else { throw CNCError(.invalidArgument, "invalid \(flag) \"\(text)\": the rate is a number of operations") }
            rate = n
        }
        guard rate >= 0 else { throw CNCError(.invalidArgument, "invalid \(flag) \"\(text)\": the rate must not be negative") }
        return try throttle(kind, path: path, rate: rate, flag: flag)
    }

    /// A throttle of `rate` on the block device at `path`.
    public static func throttle(_ kind: BlkioThrottle.Kind, path: String, rate: Int64, flag: String) throws -> BlkioThrottle {
        let info: FileSystem.NodeInfo
        do { info = try FileSystem.nodeInfo(path) } catch let e as CNCError {
            throw CNCError(.invalidArgument, "\(flag): cannot use \(path)", cause: e.description)
        }
        guard info.deviceType == "b" else { throw CNCError(.invalidArgument, "\(flag): \(path) is not a block device") }
        return BlkioThrottle(kind: kind, major: info.major, minor: info.minor, rate: rate)
    }

    /// Every device node under the host's /dev, for `--privileged` (as Docker: not the pty,
    /// shm, mqueue and fd trees, not /dev/console and /dev/ptmx, which the container has its
    /// own of; symlinks skipped).
    public static func hostDevices() -> [DeviceNode] {
        nodes(in: "/dev", as: "/dev", permissions: "rwm",
              skip: ["pts", "shm", "mqueue", "fd", "console", "ptmx", ".lxc", ".lxd-mounts", ".udev"])
    }

    /// Docker's rule for `--sysctl`: only parameters namespaced per container — IPC ones
    /// (unless the IPC namespace is the host's, which cnc never shares) and net.* ones (not
    /// with the host's network).
    public static func checkSysctl(_ key: String, network: NetworkMode) throws {
        let ipc: Set<String> = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                                "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]
        if ipc.contains(key) || key.hasPrefix("fs.mqueue.") { return }
        if key.hasPrefix("net.") {
            if network == .host { throw CNCError(.invalidArgument, "sysctl \"\(key)\" not allowed in host network namespace") }
            if case .container = network {
                throw CNCError(.invalidArgument, "sysctl \"\(key)\" not allowed: the network namespace is another container's")
            }
            return
        }
        if key == "kernel.domainname" || key == "kernel.hostname" { return }
        throw CNCError(.invalidArgument, "sysctl \"\(key)\" is not allowed: only namespaced ones are (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*)")
    }

    /// `KEY=VALUE` pairs of `--sysctl`, checked.
    public static func sysctls(_ pairs: [String], network: NetworkMode) throws -> [String: String]? {
        guard !pairs.isEmpty else { return nil }
        var out: [String: String] = [:]
        for p in pairs {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CNCError(.invalidArgument, "invalid sysctl \"\(p)\" (want KEY=VALUE)") }
            out[kv[0]] = kv[1]
        }
        return try sysctls(out, network: network)
    }

    /// Typed sysctls (Compose `sysctls`), checked as `--sysctl`.
    public static func sysctls(_ values: [String: String], network: NetworkMode) throws -> [String: String]? {
        guard !values.isEmpty else { return nil }
        for key in values.keys.sorted() {
            guard !key.isEmpty, !key.contains("/"), !key.contains("..") else {
                throw CNCError(.invalidArgument, "invalid sysctl \"\(key)=\(values[key] ?? "")\" (want KEY=VALUE)")
            }
            try checkSysctl(key, network: network)
        }
        return values
    }
}

extension ContainerConfig {
    /// `--privileged`, as Docker applies it: all capabilities, no seccomp filter, no masked or
    /// read-only /proc and /sys paths, every host device (and the cgroup rule that allows them
    /// all), no_new_privs off unless asked for.
    public mutating func makePrivileged() {
        privileged = true
        capAdd = ["ALL"]
        capDrop = []
        securityOpt.removeAll { $0.hasPrefix("seccomp=") || $0.hasPrefix("seccomp:") }
        securityOpt += ["seccomp=unconfined", "systempaths=unconfined"]
        if !securityOpt.contains(where: { $0.hasPrefix("no-new-privileges") }) { securityOpt.append("no-new-privileges=false") }
        // The allow-all rule below covers them: no rule per node.
        devices = HostResources.hostDevices() + (devices ?? []).filter { d in !d.hostPath.hasPrefix("/dev/") || d.containerPath != d.hostPath }
        limits.deviceRules = (limits.deviceRules ?? []) + [DeviceRule(type: "a", major: nil, minor: nil)]
    }

    /// Device nodes the container gets, with the devices-cgroup rule of each.
    public mutating func addDevices(_ nodes: [DeviceNode]) {
        guard !nodes.isEmpty else { return }
        devices = (devices ?? []) + nodes
        limits.deviceRules = (limits.deviceRules ?? []) + nodes.map(\.rule)
    }
}
