import CNCCore
import CNCSystem

extension Runtime {
    /// Clears what a `cnc` killed half-way through `create` leaves behind: name claims whose
    /// container never got its config, and container directories without a config (with the
    /// cgroups named after them). Only entries older than `grace` are touched, so a create
    /// running right now in another process is never disturbed.
    public func sweepIncomplete(grace: Int64 = 5_000_000_000) {
        let now = Processes.wallNanos()
        func old(_ path: String) -> Bool {
            guard let age = FileSystem.lstatChangeTimeNanos(path) else { return false }
            return now - age > grace
        }
        let nameDirs = [store.namesDir] + (store.ephemeralNamesDir.map { [$0] } ?? [])
        for (dir, name) in nameDirs.flatMap({ d in ((try? FileSystem.listDirectory(d)) ?? []).map { (d, $0) } }) {
            let link = dir + "/" + name
            guard let target = FileSystem.readLink(link), let id = try? ContainerID(target) else { continue }
            if !FileSystem.exists(store.directory(id) + "/cnc.json"), old(link), !FileSystem.exists(store.directory(id)) || old(store.directory(id)) {
                store.releaseName(name, of: id)
            }
        }
        for id in store.ids() {
            let dir = store.directory(id)
            guard !FileSystem.exists(dir + "/cnc.json"), old(dir) else { continue }
            try? cgroups.remove("cnc/" + id.rawValue)
            try? FileSystem.removeTree(dir)
        }
        store.pruneEphemeralDirectories()
        sweepSealed(isOld: old)
    }
}
