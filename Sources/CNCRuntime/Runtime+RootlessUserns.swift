import CNCCore
import CNCSystem

/// `--userns keep-id` and `--userns auto` rootless (podman's meanings): a user namespace of
/// the container's own, nested in the user's (whose id 0 is the user and 1... its subordinate
/// ids), so its maps are written in the ids of the user's namespace.
extension Runtime {
    /// keep-id: container id `uid` (default: the user's host uid) is the user; container ids
    /// below it are the subordinate ids 1..., those above it the subordinate ids of the same
    /// number (podman's layout); gids alike.
    static func keepIDMaps(uid: UInt32?, gid: UInt32?) throws -> (uid: [IDMap], gid: [IDMap]) {
        guard let hostUID = Rootless.hostUID, let hostGID = Rootless.hostGID else {
            throw CNCError(.invalidArgument, "keep-id is only supported in rootless mode")
        }
        let n = Rootless.subordinateCount
        return (keepIDMaps(uid ?? hostUID, available: n), keepIDMaps(gid ?? hostGID, available: n))
    }

    /// The maps of keep-id for container id `k` in a namespace with ids 0...`n` (0: the user).
    static func keepIDMaps(_ k: UInt32, available n: UInt32) -> [IDMap] {
        var maps: [IDMap] = []
        if min(k, n) > 0 { maps.append(IDMap(containerID: 0, hostID: 1, size: min(k, n))) }
        maps.append(IDMap(containerID: k, hostID: 0, size: 1))
        if n > k { maps.append(IDMap(containerID: k + 1, hostID: k + 1, size: n - k)) }
        return maps
    }

    /// nomap: the container's ids 0... are the user's subordinate ids 1... (all of them); the
    /// user's own id is not mapped (podman's meaning).
    static func noMapMaps() throws -> (uid: [IDMap], gid: [IDMap]) {
        guard Rootless.isActive else { throw CNCError(.invalidArgument, "nomap is only supported in rootless mode") }
        let n = Rootless.subordinateCount
        guard n > 0 else { throw CNCError(.unsupported, "--userns nomap needs subordinate ids, and the user's namespace has none") }
        let maps = [IDMap(containerID: 0, hostID: 1, size: n)]
        return (maps, maps)
    }

    /// podman's `auto_userns_min_size` and `auto_userns_max_size` defaults.
    static let autoMinSize: UInt32 = 1024, autoMaxSize: UInt32 = 65536

    /// The size of an `--userns auto` slice without `size=` (podman's rule, containers/storage's
    /// getAutoUserNS): one more than the largest id the image uses (its files' owners, and the
    /// uids and gids of /etc/passwd and /etc/group but nobody/nogroup's 65534), at least 1024;
    /// more than 65536 is refused in podman's words.
    static func autoSize(lowers: [String]) throws -> UInt32 {
        var largest: UInt32 = 0
        var used = false
        for layer in lowers {
            largest = max(largest, try FileSystem.largestOwnerRecursively(layer))
            used = true
        }
        var size: UInt64 = used ? UInt64(largest) + 1 : 0
        for (file, idFields) in [("/etc/passwd", [2, 3]), ("/etc/group", [2])] {
            for e in imageEntries(file, lowers: lowers) where e.count > idFields.max() ?? 0 && e[0] != "nobody" && e[0] != "nogroup" {
                for i in idFields { if let id = UInt32(e[i]), id != 65534 { size = max(size, UInt64(id) + 1) } }
            }
        }
        size = max(size, UInt64(autoMinSize))
        guard size <= UInt64(autoMaxSize) else {
            throw CNCError(.invalidArgument, "the container needs a user namespace with size \(size) that is bigger than the maximum value allowed with userns=auto \(autoMaxSize)")
        }
        return UInt32(size)
    }

    /// keep-id: when the image's /etc/passwd (/etc/group) has no entry for the user's container
    /// uid (gid) or name, one is added as podman adds it (`NAME:*:UID:GID:GECOS:HOME:/bin/sh`,
    /// `NAME:x:GID:NAME`; HOME the user's home when it or a parent is bound in, else the working
    /// directory), so whoami and `id -un` know the user. The files go in a layer of the
    /// container's own (`dir`/keep-id, added as the top-most lower): the image's layers and
    /// its writes stay as they are. nil when both entries exist.
    static func keepIDUserLayer(_ c: ContainerConfig, uid: UInt32, gid: UInt32, dir: String) throws -> String? {
        guard let hostUID = Rootless.hostUID, let toNamespace = c.ownerOnHost else { return nil }
        let host = (try? FileSystem.readText("/etc/passwd")).map { Self.parseEntries($0) } ?? []
        let me = host.first { $0.count >= 7 && UInt32($0[2]) == hostUID }
        let name = me.map { String($0[0]) } ?? "user\(hostUID)"
        let passwd = imageEntries("/etc/passwd", lowers: c.lowerDirs), group = imageEntries("/etc/group", lowers: c.lowerDirs)
        var home = c.workingDir.isEmpty ? "/" : c.workingDir
        if let h = me.map({ String($0[5]) }), !h.isEmpty {
            var d = h
            while d != "/" && !d.isEmpty {
                if c.mounts.contains(where: { $0.target == d }) { home = h; break }
                d = FileSystem.directoryName(d)
            }
        }
        let addUser = !passwd.contains { $0.count >= 3 && ($0[0] == name || UInt32($0[2]) == uid) }
        let addGroup = !group.contains { $0.count >= 3 && ($0[0] == name || UInt32($0[2]) == gid) }
        guard addUser || addGroup else { return nil }
        let layer = dir + "/keep-id"
        let (rootUID, rootGID) = toNamespace(0, 0)
        // The layer's /etc shows over the image's: it keeps the image's mode and owner.
        let etc = c.lowerDirs.lazy.compactMap { try? FileSystem.nodeInfo($0 + "/etc") }.first { $0.isDirectory }
        try FileSystem.createDirectory(layer, mode: 0o755)
        try FileSystem.createDirectory(layer + "/etc", mode: 0o755)
        try FileSystem.setMode(layer + "/etc", etc.map { $0.mode & 0o7777 } ?? 0o755)
        try FileSystem.setOwner(layer, uid: rootUID, gid: rootGID)
        try FileSystem.setOwner(layer + "/etc", uid: etc?.uid ?? rootUID, gid: etc?.gid ?? rootGID)
        func write(_ file: String, _ entries: [[Substring]], _ line: String) throws {
            var text = entries.map { $0.joined(separator: ":") }.joined(separator: "\n")
            if !text.isEmpty { text += "\n" }
            try FileSystem.writeReplacing(Array((text + line).utf8), to: layer + file, mode: 0o644)
            try FileSystem.setOwner(layer + file, uid: rootUID, gid: rootGID)
        }
        let gecos = me.map { String($0[4]) } ?? ""
        if addUser { try write("/etc/passwd", passwd, "\(name):*:\(uid):\(gid):\(gecos):\(home):/bin/sh\n") }
        if addGroup { try write("/etc/group", group, "\(name):x:\(gid):\(name)\n") }
        return layer
    }

    /// The lines of `file` of the image (the top-most layer that has it), split at ':'.
    static func imageEntries(_ file: String, lowers: [String]) -> [[Substring]] {
        parseEntries(lowers.lazy.compactMap { SafeCopy.readText(root: $0, path: file) }.first ?? "")
    }

    static func parseEntries(_ text: String) -> [[Substring]] {
        text.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false) }
    }

    /// `:idmap` rootless: mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN in the user
    /// namespace that owns the source's file system (the kernel's check in
    /// build_mount_idmapped), and the host's file systems belong to the initial one, which
    /// rootless cnc has no capability in.
    static func rootlessIdmapRefusal(_ m: MountSpec) -> CNCError {
        let what = m.type != .volume ? "bind \(m.source)" : m.source.isEmpty ? "anonymous volume" : "volume \(m.source)"
        return CNCError(.unsupported, "idmap is not supported by rootless cnc (\(what) on \(m.target)): "
            + "the kernel idmaps a mount only for a process privileged in the user namespace that owns its file system, "
            + "and the host's file systems are not the user's; use :U to chown the source to the container's user instead")
    }

    /// Copies of `c`'s layers in `dir`/layers, every owner moved through `c`'s maps (an owner
    /// the image gives id N is container id N), top-most first as lowerDirs are. `cp -a` keeps
    /// whiteouts, hard links and user xattrs; the owners are then changed in place.
    static func shiftedLayers(_ c: ContainerConfig, dir: String) throws -> [String] {
        guard let toNamespace = c.ownerOnHost else { return c.lowerDirs }
        try FileSystem.createDirectory(dir + "/layers", mode: 0o700)
        var out: [String] = []
        for (i, layer) in c.lowerDirs.enumerated() {
            let copy = dir + "/layers/\(i)"
            let r = try Spawn.capture("/bin/cp", ["-a", "--reflink=auto", layer, copy], environment: ["PATH=/usr/bin:/bin"])
            guard r.termination.shellStatus == 0 else {
                throw CNCError(.system, "copying layer \(layer) for the container's user namespace: \(String(decoding: r.stderr, as: UTF8.self))")
            }
            try FileSystem.mapOwnersRecursively(copy, toNamespace)
            out.append(copy)
        }
        return out
    }
}
