import CNCCore
import CNCPlanner

/// What the executor needs from the runtime and the network layer. The real implementation
/// drives CNCRuntime/CNCNetwork; tests use a recording fake. Every call is idempotent where it
/// can be (removing what is gone succeeds), so a re-run after a crash converges.
public protocol ContainerBackend: Sendable {
    func createNetwork(project: String, _ network: DesiredNetwork) async throws
    func removeNetwork(project: String, name: String) async throws
    func createVolume(project: String, _ volume: DesiredVolume) async throws
    func removeVolume(project: String, name: String) async throws

    /// Creates (does not start) a container for `service`, named `name`; returns its id.
    func createContainer(project: String, service: DesiredService, replica: Int, name: String) async throws -> String
    func start(id: String) async throws
    /// Stops with the service's grace period (SIGTERM, then SIGKILL).
    func stop(id: String, timeout: CNCDuration?) async throws
    func remove(id: String) async throws
    func rename(id: String, to name: String) async throws
    func updateLimits(id: String, _ limits: LiveLimits) async throws

    /// Status and health as the runtime sees them now.
    func observe(id: String) async throws -> ContainerObservation
}

/// A container's state as the runtime reports it.
public struct ContainerObservation: Sendable, Equatable {
    public var status: ObservedContainer.Status
    public var health: ObservedContainer.Health
    public var exitCode: Int32?

    public init(status: ObservedContainer.Status, health: ObservedContainer.Health = .none, exitCode: Int32? = nil) {
        self.status = status
        self.health = health
        self.exitCode = exitCode
    }
}
