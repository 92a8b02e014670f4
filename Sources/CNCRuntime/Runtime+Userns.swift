import CNCCore
import CNCSystem
import enum CNCMonitorCore.NotifyRelay

/// `--userns`: what the start path needs of a container's user namespace.
extension Runtime {
    /// Where init finds the detached root mount and the seccomp program in a user namespace.
    static let usernsRootfsFD: Int32 = 6
    static let usernsSeccompFD: Int32 = 7
    static let usernsBindFDBase: Int32 = 8

    /// One bind of the container (its /etc files, then binds and volumes in order).
    struct BindMount {
        var source: String, target: String, readOnly: Bool
        /// `:idmap`: the source's owners as the container's user namespace maps them.
        var idmap: Bool
    }

    func bindMounts(_ c: ContainerConfig, dir: String) -> [BindMount] {
        var binds: [BindMount] = []
        for f in ["hosts", "hostname", "resolv.conf"] where !c.mounts.contains(where: { $0.target == "/etc/" + f }) {
            binds.append(BindMount(source: dir + "/" + f, target: "/etc/" + f, readOnly: c.readOnly, idmap: false))
        }
        if c.sdNotify == .container && SdNotify.socket != nil {
            binds.append(BindMount(source: dir + "/" + NotifyRelay.hostDirectory, target: NotifyRelay.containerDirectory, readOnly: false, idmap: false))
        }
        if Self.bindsDevices(c) {
            // `--device` in a user namespace (the container's own, or rootless cnc's): the
            // host's node, bound (no node can be made there, and devtmpfs cannot be idmapped,
            // so the node's mode decides what the container's root may open).
            for d in c.devices ?? [] { binds.append(BindMount(source: d.hostPath, target: d.containerPath, readOnly: false, idmap: false)) }
        }
        for m in c.mounts where m.type != .tmpfs {
            binds.append(BindMount(source: m.type == .volume ? volumePath(m.source) : m.source, target: m.target, readOnly: m.readOnly,
                                   idmap: m.hasOption("idmap")))
        }
        return binds
    }

    /// True when no device node can be made for `c` (a user namespace: its own or rootless
    /// cnc's), so `--device` and `--privileged` bind the host's nodes instead.
    static func bindsDevices(_ c: ContainerConfig) -> Bool { c.uidMap != nil || Rootless.isActive }

    /// The host ids the container's root maps to.
    static func mappedRoot(_ c: ContainerConfig) -> (uid: UInt32, gid: UInt32)? {
        guard let u = c.uidMap?.first(where: { $0.containerID == 0 }), let g = c.gidMap?.first(where: { $0.containerID == 0 }) else { return nil }
        return (u.hostID, g.hostID)
    }

    /// The setup cshim_spawn_userns runs for `c`'s init, nil without a user namespace.
    func usernsSetup(_ c: ContainerConfig, dir: String) -> Spawn.UsernsSetup? {
        guard let u = c.uidMap, let g = c.gidMap, let root = Self.mappedRoot(c) else { return nil }
        var s = Spawn.UsernsSetup(uidMap: u.map(\.line).joined(), gidMap: g.map(\.line).joined(), rootUID: root.uid, rootGID: root.gid,
                                  lowers: c.lowerDirs, upper: c.autoRemove ? nil : dir + "/upper", work: c.autoRemove ? nil : dir + "/work",
                                  rootfsFDIndex: Self.usernsRootfsFD)
        s.binds = bindMounts(c, dir: dir).map { ($0.source, $0.idmap) }
        s.bindFDBase = Self.usernsBindFDBase
        return s
    }

    /// The container's directory and the files its init reads become the mapped root's: init
    /// starts there as that (unprivileged) host id. The rest of the state root stays closed.
    func handOverToMappedRoot(_ c: ContainerConfig, dir: String) throws {
        guard let root = Self.mappedRoot(c) else { return }
        for f in ["", "/init.conf", "/hosts", "/hostname", "/resolv.conf"] {
            try FileSystem.setOwner(dir + f, uid: root.uid, gid: root.gid)
        }
    }

    /// `:U` on a bind or volume: its source becomes the container user's, as the host sees
    /// that user (through the container's id maps, if any), podman's meaning; and an empty
    /// volume of a user-namespaced container becomes its root's.
    func prepareVolumeOwnership(_ c: ContainerConfig) throws {
        let chowned = c.mounts.filter { $0.hasOption("U") && $0.type != .tmpfs }.map(\.target)
        if !chowned.isEmpty {
            let (uid, gid) = try Self.imageUser(c.user, lowers: c.lowerDirs)
            let (hostUID, hostGID) = c.ownerOnHost?(uid, gid) ?? (uid, gid)
            for b in bindMounts(c, dir: "") where chowned.contains(b.target) {
                try FileSystem.setOwnerRecursively(b.source, uid: hostUID, gid: hostGID)
            }
        }
        // As podman does: an empty volume a container of a user namespace mounts becomes its
        // root's (else its root could not write to a new volume).
        guard let root = Self.mappedRoot(c) else { return }
        for m in c.mounts where m.type == .volume && !m.hasOption("U") && !m.hasOption("idmap") {
            let data = volumePath(m.source)
            if (try? FileSystem.listDirectory(data))?.isEmpty == true, (try? FileSystem.nodeInfo(data))?.uid == 0 {
                try FileSystem.setOwner(data, uid: root.uid, gid: root.gid)
            }
        }
    }

    /// `USER[:GROUP]` as the container's init resolves it (cnc-init's rules): names from the
    /// image's /etc/passwd and /etc/group, a numeric user it does not list gets group 0.
    static func imageUser(_ spec: String, lowers: [String]) throws -> (uid: UInt32, gid: UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let user = parts.first.map { $0.isEmpty ? "0" : $0 } ?? "0"
        func entries(_ file: String) -> [[Substring]] { imageEntries(file, lowers: lowers) }
        var uid: UInt32, gid: UInt32 = 0
        if let e = entries("/etc/passwd").first(where: { $0.count >= 4 && ($0[0] == user || (UInt32(user) != nil && $0[2] == user)) }),
           let u = UInt32(e[2]) {
            uid = u; gid = UInt32(e[3]) ?? 0
        } else if let u = UInt32(user) {
            uid = u
        } else {
            throw CNCError(.invalidArgument, "unable to find user \(user): no matching entries in passwd file")
        }
        if parts.count == 2 {
            let group = parts[1]
            if let e = entries("/etc/group").first(where: { $0.count >= 3 && ($0[0] == group || (UInt32(group) != nil && $0[2] == group)) }),
               let g = UInt32(e[2]) {
                gid = g
            } else if let g = UInt32(group) {
                gid = g
            } else {
                throw CNCError(.invalidArgument, "unable to find group \(group): no matching entries in group file")
            }
        }
        return (uid, gid)
    }

    /// The monitor's settings for the same (it spawns init on restarts too).
    func addUsernsSettings(_ c: ContainerConfig, dir: String, to conf: inout NulConfig) {
        guard let s = usernsSetup(c, dir: dir) else { return }
        conf.add("usernsuidmap", s.uidMap)
        conf.add("usernsgidmap", s.gidMap)
        conf.add("usernsrootuid", String(s.rootUID))
        conf.add("usernsrootgid", String(s.rootGID))
        for l in s.lowers { conf.add("usernslower", l) }
        if let up = s.upper, let w = s.work { conf.add("usernsupper", up); conf.add("usernswork", w) }
        if let bpf = seccompBPFPath(c, dir: dir) { conf.add("usernsbpf", bpf) }
        for b in s.binds { conf.add("usernsbind", b.source); conf.add("usernsbindidmap", b.idmap ? "1" : "0") }
    }
}

extension MountSpec {
    /// `-v SRC:DST:U,idmap`: the options a bind or volume carries besides ro/rw.
    public func hasOption(_ name: String) -> Bool { options.split(separator: ",").contains { $0 == name } }
}

extension ContainerConfig {
    /// For archivers of its files (`commit`, `export`): host ids back to the container's;
    /// nil without a user namespace.
    public var ownerInContainer: ((UInt32, UInt32) -> (UInt32, UInt32))? {
        guard let u = uidMap, let g = gidMap else { return nil }
        return { uid, gid in (IDMap.containerID(forHost: uid, in: u), IDMap.containerID(forHost: gid, in: g)) }
    }

    /// For writers into its files (`cp` in, `:U`): the container's ids as the host sees them;
    /// nil without a user namespace (the ids are the host's).
    public var ownerOnHost: ((UInt32, UInt32) -> (UInt32, UInt32))? {
        guard let u = uidMap, let g = gidMap else { return nil }
        return { uid, gid in (IDMap.hostID(forContainer: uid, in: u), IDMap.hostID(forContainer: gid, in: g)) }
    }
}
