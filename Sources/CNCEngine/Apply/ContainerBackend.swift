import CNCCore
import CNCNetwork
import CNCPlanner

/// What the executor needs from the runtime and the network layer. The real implementation
/// drives CNCRuntime/CNCNetwork; tests use a recording fake. Every call is idempotent where it
/// can be (removing what is gone succeeds), so a re-run after a crash converges.
public protocol ContainerBackend: Sendable {
    func createNetwork(project: String, _ network: DesiredNetwork) async throws
    func removeNetwork(project: String, name: String) async throws
    func createVolume(project: String, _ volume: DesiredVolume) async throws
    func removeVolume(project: String, name: String) async throws

    /// Creates (does not start) a container for `service` (from its compiled spec), named
    /// `name`; returns its id.
    /// `startsNext`: the plan starts it in its next step (the runtime overlaps the start's
    /// preparations with the creation: cgroups on a second thread, config.json during the start).
    func createContainer(project: String, service: DesiredService, replica: Int, name: String, startsNext: Bool) async throws -> String
    func start(id: String) async throws
    /// Stops with the service's grace period (SIGTERM, then SIGKILL).
    func stop(id: String, timeout: CNCDuration?) async throws
    /// The same, telling `onGraceWait` once why it will wait out the grace period (PID 1 does
    /// not catch the stop signal).
    func stop(id: String, timeout: CNCDuration?, onGraceWait: @escaping @Sendable (String) -> Void) async throws
    func remove(id: String) async throws
    func rename(id: String, to name: String) async throws
    func updateLimits(id: String, _ limits: CgroupLimits) async throws

    /// Clears what a create killed half-way left behind (a name claim, a directory without
    /// config), so the next create of that name succeeds. Changes the runtime: never in a dry run.
    func sweepIncomplete() async throws

    /// Status and health as the runtime sees them now.
    func observe(id: String) async throws -> ContainerObservation

    /// Every container labelled with `project` (AppLabels), whatever the state DB says: the
    /// runtime is the truth about what exists.
    func listContainers(project: String) async throws -> [RuntimeContainer]
    func listNetworks(project: String) async throws -> [ObservedResource]
    func listVolumes(project: String) async throws -> [ObservedResource]
    /// True when a volume of this name exists on the host (an external volume must). Reads only.
    func volumeExists(_ name: String) async -> Bool

    /// Host ports published now by containers of this root (of any app, or of none), for the
    /// port preflight. Reads only.
    func publishedPorts() async throws -> [PublishedPortHolder]
    /// True when a host socket holds `port` (binding it fails). Changes nothing.
    func hostPortHeld(_ port: PublishedPort) async -> Bool

    /// Runs `body` (a down's removals, an apply's plan) with the releases of its stops and
    /// removals batched: what each would wait for alone (the kernel taking a dead container's
    /// host veth away) is waited for once, when `body` ends, and the removed containers'
    /// directories and overlays go to one detached deleter then (not one spawn each).
    func batchingReleases<T: Sendable>(_ body: () async throws -> T) async throws -> T

    /// A plan that will start containers is about to run: warm what their starts need while
    /// the plan's first steps (its revision, the stops before them) go on.
    func prepareStarts()
}

extension ContainerBackend {
    /// A backend without host networking (a test's fake) publishes nothing.
    public func publishedPorts() async throws -> [PublishedPortHolder] { [] }
    public func hostPortHeld(_ port: PublishedPort) async -> Bool { false }
    /// A fake has every volume an app names.
    public func volumeExists(_ name: String) async -> Bool { true }
    /// Nothing to wait for without host networking.
    public func batchingReleases<T: Sendable>(_ body: () async throws -> T) async throws -> T { try await body() }
    /// Nothing to warm without a kernel.
    public func prepareStarts() {}
}


/// Labels cnc puts on every container it creates for an app, so observe can rebuild the picture
/// from the runtime alone (after a crash, or when the state DB lost a record).
public enum AppLabels {
    public static let project = "cnc.project"
    public static let service = "cnc.service"
    public static let replica = "cnc.replica"
    public static let configHash = "cnc.config-hash"
    public static let sectionHashes = "cnc.section-hashes"
    public static let image = "cnc.image"
    public static let imageDigest = "cnc.image-digest"

    /// The labels for a container of `service`.
    public static func labels(project: String, service: DesiredService, replica: Int) -> [String: String] {
        var l = [
            Self.project: project, Self.service: service.name, Self.replica: String(replica),
            configHash: service.configHash, image: service.image,
            sectionHashes: (try? CanonicalJSON.string(service.sectionHashes)) ?? "{}",
        ]
        if let d = service.imageDigest { l[imageDigest] = d.description }
        return l
    }
}

/// A container as the runtime lists it.
public struct RuntimeContainer: Sendable, Equatable {
    public var id: String
    public var name: String
    public var labels: [String: String]
    public var observation: ContainerObservation
    public var liveLimits: CgroupLimits

    public init(id: String, name: String, labels: [String: String], observation: ContainerObservation, liveLimits: CgroupLimits = CgroupLimits()) {
        self.id = id
        self.name = name
        self.labels = labels
        self.observation = observation
        self.liveLimits = liveLimits
    }
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

extension ContainerBackend {
    /// Backends that cannot tell why a stop waits just stop.
    public func stop(id: String, timeout: CNCDuration?, onGraceWait: @escaping @Sendable (String) -> Void) async throws {
        try await stop(id: id, timeout: timeout)
    }
}
