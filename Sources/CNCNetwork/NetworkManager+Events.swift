import CNCCore
import enum CNCMonitorCore.EventLog

extension NetworkManager {
    /// Docker's network event in the state root's event log (`cnc events`): the network's ID as
    /// actor, its name and driver (`type`), and for connect/disconnect the container's ID.
    /// Recorded here, where networks are made, joined, left and removed, so every path (`cnc
    /// network`, `run`'s attach, an app's apply and down, prune, the sweep) reports alike.
    /// One appended line; never fails the operation.
    func recordEvent(_ action: String, id: String, name: String, driver: NetworkDriver, container: ContainerID? = nil) {
        let attributes = [("name", name), ("type", driver.rawValue)] + (container.map { [("container", $0.rawValue)] } ?? [])
        EventLog.append(paths.root + "/" + EventLog.fileName, type: "network", action: action, id: id, attributes: attributes)
    }

    func recordEvent(_ action: String, _ n: NetworkConfig) {
        recordEvent(action, id: n.id, name: n.name, driver: n.driver)
    }
}
