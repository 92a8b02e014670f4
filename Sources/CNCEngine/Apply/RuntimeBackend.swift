import CNCCgroups
import CNCCore
import CNCImage
import CNCNetwork
import CNCNetworkAttach
import CNCNftables
import CNCPlanner
import CNCRuntime
import CNCSpec
import CNCSystem
import Foundation
import Synchronization

/// The executor's backend on the real host: containers through CNCRuntime, images from the
/// local store, app volumes as runtime volumes named `<project>_<volume>`.
public final class RuntimeBackend: ContainerBackend {
    let runtime: Runtime
    let images: ImageStore
    let stateRoot: String
    let environment: [String: String]
    /// Where starts, stops and removals run: threads of their own, a few at a time, so an app's
    /// containers start side by side. The network steps (attach, detach, a network made or
    /// removed) still run one at a time: each holds the networks' flock, which serializes the
    /// threads of this process as well as other processes.
    let blocking: BlockingWork
    /// How old a half-created container must be before it is swept: none while this process
    /// holds the root's exclusive lock (no other apply can be creating), a few seconds otherwise.
    let sweepGrace: Int64
    /// The runtime's containers listed once for many apps (`cncapply sync`), or nil.
    let listing: ContainerListing?

    public init(config: EngineConfig, runtime: Runtime, images: ImageStore, holdsRootLock: Bool = false,
                environment: [String: String] = ProcessInfo.processInfo.environment, blocking: BlockingWork = .shared,
                listing: ContainerListing? = nil) {
        self.blocking = blocking
        self.listing = listing
        self.sweepGrace = holdsRootLock ? 0 : 5_000_000_000
        // The apply's starts warm the cgroup migration lock themselves (nobody did before them).
        var runtime = runtime
        runtime.primesAtStart = true
        self.runtime = runtime
        self.images = images
        self.stateRoot = config.stateRoot
        self.environment = environment
    }

    // MARK: networks and volumes

    /// A spec network's name on the host: `<project>_<network>`, as Compose names them.
    static func hostNetworkName(project: String, _ name: String) -> String { "\(project)_\(name)" }
    static let configHashLabel = "cnc.config-hash"

    var networks: NetworkManager { .inProcess(root: stateRoot) }

    public func createNetwork(project: String, _ network: DesiredNetwork) async throws {
        // A network built by hand (no compiled spec) gets the spec's defaults: a plain bridge.
        let spec = network.spec ?? NetworkSpec(name: network.name)
        var o = NetworkCreateOptions(name: Self.hostNetworkName(project: project, network.name))
        guard let driver = CNCNetwork.NetworkDriver(rawValue: spec.driver.rawValue) else {
            throw CNCError(.unsupported, "network \(network.name): driver \(spec.driver.rawValue) is not supported")
        }
        o.driver = driver
        if let pool = spec.ipam?.config.first {
            if let subnet = pool.subnet { o.subnet = try IPv4Subnet(subnet) }
            if let gw = pool.gateway {
                guard let a = IPv4Address(gw) else { throw CNCError(.invalidArgument, "network \(network.name): bad gateway \(gw)") }
                o.gateway = a
            }
        }
        o.internal = spec.internal
        o.parent = spec.driverOpts["parent"]
        o.labels = spec.labels
        o.labels[Self.configHashLabel] = network.configHash
        o.app = project
        o.ifNotExists = true
        let networks = self.networks
        let options = o
        _ = try await blocking.run { try networks.create(options) }
    }

    public func removeNetwork(project: String, name: String) async throws {
        do {
            let networks = self.networks, name = Self.hostNetworkName(project: project, name)
            try await blocking.run { try networks.remove(name) }
        } catch let e as CNCError where e.code == .notFound {
            return
        }
    }

    public func listNetworks(project: String) async throws -> [ObservedResource] {
        let prefix = project + "_"
        return try networks.list().filter { $0.app == project && $0.name.hasPrefix(prefix) }.map {
            ObservedResource(name: String($0.name.dropFirst(prefix.count)), configHash: $0.labels[Self.configHashLabel] ?? "")
        }
    }

    static let volumeHashFile = "cnc-config-hash"

    public func createVolume(project: String, _ volume: DesiredVolume) async throws {
        let name = volume.spec?.name ?? "\(project)_\(volume.name)"
        // Compose's labels, so `cnc volume ls --filter label=com.docker.compose.project=P` and
        // `volume prune` see whose it is.
        var labels = volume.spec?.labels ?? [:]
        labels[Volume.projectLabel] = project
        labels[Volume.volumeLabel] = volume.name
        try runtime.volumes.create(name, labels: labels, options: volume.spec?.driverOpts ?? [:])
        try FileSystem.writeAtomically(volume.configHash, to: runtime.store.volumesDir + "/" + name + "/" + Self.volumeHashFile)
    }

    public func removeVolume(project: String, name: String) async throws {
        let host = appVolumes(project: project).first { $0.key == name }?.host ?? "\(project)_\(name)"
        do { try runtime.volumes.remove(host) } catch let e as CNCError where e.code == .notFound {}
    }

    public func listVolumes(project: String) async throws -> [ObservedResource] {
        let dir = runtime.store.volumesDir
        return appVolumes(project: project).map { v in
            ObservedResource(name: v.key, configHash: (try? FileSystem.readText(dir + "/" + v.host + "/" + Self.volumeHashFile)) ?? "")
        }
    }

    /// The volumes this app made (its key, its name on the host): by Compose's labels, which
    /// it puts on every volume it creates (`name:` ones too), or, made before volumes had
    /// labels, `<project>_<key>` with the app's config hash file. Never a volume made by `cnc
    /// volume create` or another app, so an external volume is never the app's.
    func appVolumes(project: String) -> [(key: String, host: String)] {
        let prefix = project + "_"
        return runtime.volumes.list().compactMap { v in
            if let owner = v.labels[Volume.projectLabel] {
                guard owner == project else { return nil }
                return (v.labels[Volume.volumeLabel] ?? String(v.name.dropFirst(v.name.hasPrefix(prefix) ? prefix.count : 0)), v.name)
            }
            guard v.name.hasPrefix(prefix), FileSystem.exists(runtime.store.volumesDir + "/" + v.name + "/" + Self.volumeHashFile) else { return nil }
            return (String(v.name.dropFirst(prefix.count)), v.name)
        }.sorted { $0.key < $1.key }
    }

    public func volumeExists(_ name: String) async -> Bool { (try? runtime.volumes.volume(name)) != nil }

    // MARK: containers

    /// The image as `cnc ps` shows an app's container, the way a spec names it: `busybox`,
    /// `me/app:1`, `localhost:5000/app:1` (docker's short form, without the implied `:latest`).
    public static func shown(_ ref: ImageReference) -> String {
        let short = ref.familiar
        return ref.tag == ImageReference.defaultTag && ref.digest == nil ? String(short.dropLast(ImageReference.defaultTag.count + 1)) : short
    }

    public func createContainer(project: String, service: DesiredService, replica: Int, name: String, startsNext: Bool) async throws -> String {
        guard let spec = service.spec else {
            throw CNCError(.internal, "service \(service.name) (config \(service.configHash.prefix(12))) carries no compiled spec")
        }
        guard let ref = spec.image else {
            throw CNCError(.internal, "service \(service.name) has no image name (its build: was not named)")
        }
        let resolved: ResolvedImage
        do {
            // The digest the plan was made for, not whatever the tag points at by now.
            resolved = try images.resolve(service.imageDigest?.description ?? ref.description)
        } catch let e as CNCError where e.code == .notFound {
            throw CNCError(.notFound, "image \(ref.familiar) for service \(service.name) is not in the local store", cause: e.description)
        }
        Trace.mark("create: begins")
        let defaults = try ContainerEngine.defaults(of: resolved, in: images, reference: ref.description)
        var config = try ServiceContainerFactory.config(
            project: project, serviceName: service.name, service: spec, image: defaults, imageText: Self.shown(ref),
            name: name, labels: AppLabels.labels(project: project, service: service, replica: replica),
            volumePrefix: project + "_", volumeNames: service.volumeSources ?? [:], environment: environment)
        Trace.mark("create: config composed")
        config = try runtime.create(config, sealed: try ServiceContainerFactory.sealed(spec), startsNext: startsNext)
        return config.id.rawValue
    }


    public func start(id: String) async throws {
        let cid = try ContainerID(id)
        let runtime = self.runtime
        try await blocking.run {
            // A paused container (`cnc pause`) has its process but frozen: the plan's "not
            // running (paused)" start thaws it, as `cnc unpause` does; starting it again would
            // fail as already running.
            if (try? runtime.container(id))?.state.status == .paused {
                try runtime.unpause(id)
                return
            }
            try runtime.start(cid).detach()
        }
        Trace.mark("start: returned")
    }

    public func stop(id: String, timeout: CNCDuration?) async throws {
        let runtime = self.runtime
        try await blocking.run { try runtime.stop(id, timeout: timeout.map { Int($0.nanoseconds / 1_000_000_000) }) }
    }

    public func stop(id: String, timeout: CNCDuration?, onGraceWait: @escaping @Sendable (String) -> Void) async throws {
        let runtime = self.runtime
        try await blocking.run { try runtime.stop(id, timeout: timeout.map { Int($0.nanoseconds / 1_000_000_000) }, onGraceWait: onGraceWait) }
    }

    public func remove(id: String) async throws {
        do {
            let runtime = self.runtime
            try await blocking.run { try runtime.remove(id, force: true) }
        } catch let e as CNCError where e.code == .notFound {
            return
        }
    }

    public func rename(id: String, to name: String) async throws {
        let old = try runtime.container(id).config
        try runtime.rename(id, to: name)
        try networks.rename(container: old.id, from: old.name, to: name)
    }

    /// Makes the container's live limits exactly `limits`' (a limit the service dropped is
    /// removed, not left as it was).
    public func updateLimits(id: String, _ limits: CgroupLimits) async throws {
        try runtime.update(id, limits: limits.liveUpdate, restart: nil)
    }

    public func observe(id: String) async throws -> ContainerObservation {
        Self.observation(try runtime.container(id).state)
    }

    public func sweepIncomplete() async throws {
        runtime.sweepIncomplete(grace: sweepGrace)
    }

    public func listContainers(project: String) async throws -> [RuntimeContainer] {
        if let listed = listing?.take(project) { return listed }
        // Summaries: only the keys of cnc.json that observing reads (labels, limits...). A change
        // made by hand that matters to a plan shows in them: `cnc update` rewrites the limits,
        // a removal takes the file, a stop or crash rewrites state.json.
        return runtime.summaries().filter { $0.labels[AppLabels.project] == project }.map(Self.container)
    }

    static func container(_ c: ContainerSummary) -> RuntimeContainer {
        RuntimeContainer(id: c.id.rawValue, name: c.name, labels: c.labels, observation: observation(c.state), liveLimits: c.limits)
    }

    public func publishedPorts() async throws -> [PublishedPortHolder] { try networks.publishedPorts() }

    /// The cgroup migration lock (MigrationPrimer): its first writer waits out an RCU grace
    /// period (~10 ms here). Warmed when the plan starts, the period passes during the revision
    /// and the stops, so the first start's move into its cgroups finds it warm; warmed at that
    /// create instead, the move waited out most of it (a replacement: 5-15 ms -> ~2 ms from the
    /// monitor's spawn to init's creation).
    public func prepareStarts() {
        runtime.primeCgroupMigration()
    }

    public func batchingReleases<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        // Overlays of containers the plan stopped and kept (RootfsPins) shut down before it
        // returns; the removed ones' directories and overlays go to one deleter at the end.
        let runtime = self.runtime
        runtime.beginTrashBatch()
        defer {
            runtime.endTrashBatch()
            runtime.releaseRootPins()
            // A create whose start never came (a failed step between them): its config.json.
            runtime.finishDeferredSpecs()
        }
        // The runtime's attacher detaches at stop and removal: its manager collects.
        guard let manager = (runtime.network as? EngineNetworkAttacher)?.manager else { return try await body() }
        manager.beginVethBatch()
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        _ = try? await blocking.run { manager.endVethBatch() }
        Trace.mark("network releases: veths gone")
        return try result.get()
    }

    public func hostPortHeld(_ port: PublishedPort) async -> Bool {
        !PortProbe.isFree(address: port.hostIP?.bytes ?? [0, 0, 0, 0], port: port.hostPort, udp: port.proto == .udp)
    }

    static func observation(_ s: ContainerState) -> ContainerObservation {
        let status: ContainerStatus = s.dead ? .dead : s.status
        let health = s.health.flatMap { ObservedContainer.Health(rawValue: $0.status) } ?? ObservedContainer.Health.none
        return ContainerObservation(status: status, health: health, exitCode: status == .running ? nil : s.exitCode)
    }
}

/// The runtime's containers read once (`Runtime.summaries`) for every app of a `cncapply sync`
/// cycle, instead of once per app. Each project's list is handed out once: to the first observe
/// of that app, before anything of it changes in the cycle; every later observe lists live.
public final class ContainerListing: Sendable {
    private let unclaimed: Mutex<(byProject: [String: [RuntimeContainer]], taken: Set<String>)>

    public init(runtime: Runtime) {
        var byProject: [String: [RuntimeContainer]] = [:]
        for c in runtime.summaries() {
            if let p = c.labels[AppLabels.project] { byProject[p, default: []].append(RuntimeBackend.container(c)) }
        }
        unclaimed = Mutex((byProject, []))
    }

    /// `project`'s containers as listed, the first time; nil afterwards.
    func take(_ project: String) -> [RuntimeContainer]? {
        unclaimed.withLock { u in
            guard u.taken.insert(project).inserted else { return nil }
            return u.byProject.removeValue(forKey: project) ?? []
        }
    }
}
