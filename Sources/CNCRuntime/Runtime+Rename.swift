import CNCCore
import CNCSystem
import enum CNCMonitorCore.EventLog

extension Runtime {
    /// `cnc rename`: gives a container a new name (the new name is claimed first, so a clash
    /// leaves everything as it was). Name resolution is the network's: callers that attach
    /// containers follow with `NetworkManager.rename`.
    public func rename(_ ref: String, to newName: String) throws {
        let c = try container(ref)
        guard newName.range(of: "^[a-zA-Z0-9][a-zA-Z0-9_.-]*$", options: .regularExpression) != nil else {
            throw CNCError(.invalidArgument, "Error when allocating new name: Invalid container name (\(newName)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        if newName == c.config.name { return }
        do { try store.claimName(newName, for: c.config.id) } catch let e as CNCError where e.code == .conflict {
            throw CNCError(.conflict, "Error when allocating new name: " + e.message)
        }
        var config = c.config
        let old = config.name
        config.name = newName
        do {
            try store.saveConfig(config)
        } catch {
            store.releaseName(newName, of: c.config.id)
            throw error
        }
        store.releaseName(old, of: c.config.id)
        // The running monitor names the container in its events (die, health_status) by this.
        try? FileSystem.writeReplacing(Array(newName.utf8), to: c.directory + "/" + EventLog.renamedFile, mode: 0o644)
        record("rename", config, [("oldName", "/" + old)])
    }
}
