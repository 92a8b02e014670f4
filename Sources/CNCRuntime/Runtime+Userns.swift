import CNCCore
import CNCSystem

/// `--userns`: what the start path needs of a container's user namespace.
extension Runtime {
    /// Where init finds the detached root mount and the seccomp program in a user namespace.
    static let usernsRootfsFD: Int32 = 6
    static let usernsSeccompFD: Int32 = 7

    /// The host ids the container's root maps to.
    static func mappedRoot(_ c: ContainerConfig) -> (uid: UInt32, gid: UInt32)? {
        guard let u = c.uidMap?.first(where: { $0.containerID == 0 }), let g = c.gidMap?.first(where: { $0.containerID == 0 }) else { return nil }
        return (u.hostID, g.hostID)
    }

    /// The setup cshim_spawn_userns runs for `c`'s init, nil without a user namespace.
    func usernsSetup(_ c: ContainerConfig, dir: String) -> Spawn.UsernsSetup? {
        guard let u = c.uidMap, let g = c.gidMap, let root = Self.mappedRoot(c) else { return nil }
        return Spawn.UsernsSetup(uidMap: u.map(\.line).joined(), gidMap: g.map(\.line).joined(), rootUID: root.uid, rootGID: root.gid,
                                 lowers: c.lowerDirs, upper: c.autoRemove ? nil : dir + "/upper", work: c.autoRemove ? nil : dir + "/work",
                                 rootfsFDIndex: Self.usernsRootfsFD)
    }

    /// The container's directory and the files its init reads become the mapped root's: init
    /// starts there as that (unprivileged) host id. The rest of the state root stays closed.
    func handOverToMappedRoot(_ c: ContainerConfig, dir: String) throws {
        guard let root = Self.mappedRoot(c) else { return }
        for f in ["", "/init.conf", "/hosts", "/hostname", "/resolv.conf"] {
            try FileSystem.changeOwner(dir + f, uid: root.uid, gid: root.gid)
        }
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
    }
}
