import CNCCore
import enum CNCMonitorCore.EventLog

extension Runtime {
    /// The root's event log (see CNCMonitorCore's EventLog), what `cnc events` reads.
    public var eventLogPath: String { store.root + "/" + EventLog.fileName }

    /// Docker's attributes of a container event: its labels, image and name.
    static func eventAttributes(_ c: ContainerConfig) -> [(String, String)] {
        c.labels.map { ($0.key, $0.value) } + [("image", c.image), ("name", c.name)]
    }

    /// Records a container event (one appended line; never fails the operation).
    public func record(_ action: String, _ c: ContainerConfig, _ extra: [(String, String)] = []) {
        EventLog.append(eventLogPath, type: "container", action: action, id: c.id.rawValue, attributes: Self.eventAttributes(c) + extra)
    }

    /// Records an event of another kind (image, network, volume) for the commands that make it.
    public func recordEvent(type: String, action: String, id: String, attributes: [String: String] = [:]) {
        Self.recordEvent(root: store.root, type: type, action: action, id: id, attributes: attributes)
    }

    /// The same in the log of state root `root`, for commands that have no runtime (images,
    /// networks): one appended line, never a failure.
    public static func recordEvent(root: String, type: String, action: String, id: String, attributes: [String: String] = [:]) {
        EventLog.append(root + "/" + EventLog.fileName, type: type, action: action, id: id, attributes: attributes.map { ($0.key, $0.value) })
    }

    /// What the monitor needs to record the container's `die` (and `start` after a restart).
    func addEventSettings(_ c: ContainerConfig, to conf: inout NulConfig) {
        conf.add("events", eventLogPath)
        conf.add("eventid", c.id.rawValue)
        for (k, v) in Self.eventAttributes(c) { conf.add("eventattr", k); conf.add("eventattr", v) }
    }
}
