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
