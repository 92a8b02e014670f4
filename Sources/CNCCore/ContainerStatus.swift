/// A container's state as Docker names it (`State.Status`): the runtime records it, `ps` and
/// `inspect` show it, the planner observes it.
public enum ContainerStatus: String, Codable, Hashable, Sendable, CaseIterable {
    case created, running, paused, restarting, removing, exited, dead

    /// A process is (or is about to be) there: running, paused or between restarts.
    public var isActive: Bool { self == .running || self == .paused || self == .restarting }
}
