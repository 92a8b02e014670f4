import CNCCore
import CNCEngine
import CNCPlanner
import Synchronization
import Testing

/// A recording fake of the runtime: the executor's loops are tested against it; the real
/// runtime runs the same plans in the integration tier.
actor FakeBackend: ContainerBackend {
    var log: [String] = []
    var health: [String: ObservedContainer.Health] = [:]
    var status: [String: ObservedContainer.Status] = [:]
    var names: [String: String] = [:]
    var labels: [String: [String: String]] = [:]
    var networks: [String] = []
    var failCreate: Set<String> = []
    var next = 0
    /// Health a new container of a service reports.
    var healthOf: [String: ObservedContainer.Health] = [:]

    func setHealth(service: String, _ h: ObservedContainer.Health) { healthOf[service] = h }
    func setFailCreate(_ name: String) { failCreate.insert(name) }

    func createNetwork(project: String, _ network: DesiredNetwork) async throws {
        log.append("create-network \(network.name)")
        networks.append(network.name)
    }
    func removeNetwork(project: String, name: String) async throws {
        log.append("remove-network \(name)")
        networks.removeAll { $0 == name }
    }
    func createVolume(project: String, _ volume: DesiredVolume) async throws { log.append("create-volume \(volume.name)") }
    func removeVolume(project: String, name: String) async throws { log.append("remove-volume \(name)") }

    func createContainer(project: String, service: DesiredService, replica: Int, name: String, startsNext: Bool) async throws -> String {
        if failCreate.contains(name) { throw CNCError(.system, "create \(name): boom") }
        next += 1
        let id = "c\(next)"
        names[id] = name
        labels[id] = AppLabels.labels(project: project, service: service, replica: replica)
        status[id] = .created
        health[id] = healthOf[service.name] ?? ObservedContainer.Health.none
        log.append("create \(name) -> \(id)")
        return id
    }
    func start(id: String) async throws { status[id] = .running; log.append("start \(names[id] ?? id)") }
    func stop(id: String, timeout: CNCDuration?) async throws { status[id] = .exited; log.append("stop \(names[id] ?? id)") }
    /// What a stop says it waits for (nil: it does not wait).
    var graceWait: String?
    func setGraceWait(_ why: String) { graceWait = why }
    func stop(id: String, timeout: CNCDuration?, onGraceWait: @escaping @Sendable (String) -> Void) async throws {
        if let graceWait { onGraceWait(graceWait) }
        try await stop(id: id, timeout: timeout)
    }
    func remove(id: String) async throws { log.append("remove \(names[id] ?? id)"); names[id] = nil; labels[id] = nil }
    /// Deletes a container behind the engine's back.
    func vanish(_ id: String) { names[id] = nil; labels[id] = nil }
    func clearLog() { log = [] }
    func rename(id: String, to name: String) async throws { log.append("rename \(names[id] ?? id) -> \(name)"); names[id] = name }
    func sweepIncomplete() async throws { log.append("sweep") }
    /// How many plans said they would start containers (prepareStarts).
    nonisolated let preparedStarts = Mutex(0)
    nonisolated func prepareStarts() { preparedStarts.withLock { $0 += 1 } }
    func updateLimits(id: String, _ limits: CgroupLimits) async throws { log.append("update \(names[id] ?? id) cpus=\(limits.cpus?.description ?? "-")") }
    func listContainers(project: String) async throws -> [RuntimeContainer] {
        labels.filter { $0.value[AppLabels.project] == project }.sorted { $0.key < $1.key }.map { id, l in
            RuntimeContainer(id: id, name: names[id] ?? id, labels: l,
                             observation: ContainerObservation(status: status[id] ?? .dead, health: health[id] ?? .none))
        }
    }
    func listNetworks(project: String) async throws -> [ObservedResource] {
        networks.map { ObservedResource(name: $0, configHash: DesiredNetwork(name: $0).configHash) }
    }
    func listVolumes(project: String) async throws -> [ObservedResource] { [] }
    func observe(id: String) async throws -> ContainerObservation {
        ContainerObservation(status: status[id] ?? .dead, health: health[id] ?? .none, exitCode: status[id] == .exited ? 0 : nil)
    }
}

@Suite struct ExecutorTests {
    static let fast = Executor.Options(gateTimeout: CNCDuration(nanoseconds: 300_000_000), pollInterval: CNCDuration(nanoseconds: 5_000_000))

    static func svc(_ name: String, env: String = "1", deps: [Dependency] = [], health: Bool = false, order: UpdatePolicy.Order = .stopFirst,
                    failure: UpdatePolicy.FailureAction = .pause) -> DesiredService {
        var sections: [String: JSONValue] = ["environment": .object(["V": .string(env)])]
        if health { sections["healthcheck"] = .object(["test": .string("true")]) }
        return DesiredService(name: name, image: "img", sections: sections, dependsOn: deps, networks: ["default"],
                              update: UpdatePolicy(order: order, failureAction: failure))
    }

    @Test func createsInDependencyOrderWaitingForHealth() async {
        let backend = FakeBackend()
        await backend.setHealth(service: "db", .healthy)
        let app = DesiredApp(project: "p", services: [Self.svc("web", deps: [Dependency(service: "db", condition: .healthy)]), Self.svc("db", health: true)],
                             networks: [DesiredNetwork(name: "default")])
        let plan = Planner.plan(desired: app, observed: ObservedApp())
        let report = await Executor(backend: backend, options: Self.fast).run(plan)
        #expect(report.succeeded)
        #expect(await backend.log == ["create-network default", "create p-db-1 -> c1", "start p-db-1", "create p-web-1 -> c2", "start p-web-1"])
    }

    @Test func unhealthyDependencyStopsDependents() async {
        let backend = FakeBackend()
        await backend.setHealth(service: "db", .unhealthy)
        let app = DesiredApp(project: "p", services: [Self.svc("web", deps: [Dependency(service: "db", condition: .healthy)]), Self.svc("db", health: true)])
        let report = await Executor(backend: backend, options: Self.fast).run(Planner.plan(desired: app, observed: ObservedApp()))
        #expect(!report.succeeded)
        #expect(report.failure?.description == "db is unhealthy")
        #expect(await backend.log == ["create p-db-1 -> c1", "start p-db-1"])
        #expect(report.outcomes.map(\.status) == [.done, .skipped])
    }

    @Test func startFirstKeepsOldUntilNewIsHealthy() async {
        let backend = FakeBackend()
        await backend.setHealth(service: "web", .healthy)
        let old = DesiredApp(project: "p", services: [Self.svc("web", env: "1", health: true, order: .startFirst)])
        let new = DesiredApp(project: "p", services: [Self.svc("web", env: "2", health: true, order: .startFirst)])
        let observed = ObservedApp(containers: [.from(old.services[0], project: "p", id: "old1")], appliedReplicas: ["web": 1])
        let plan = Planner.plan(desired: new, observed: observed)
        #expect(plan.text == "web: replace — environment.V \"1\" -> \"2\"\n")
        let report = await Executor(backend: backend, options: Self.fast).run(plan)
        #expect(report.succeeded)
        #expect(await backend.log == ["create p-web-1-next -> c1", "start p-web-1-next", "stop old1", "remove old1", "rename p-web-1-next -> p-web-1"])
    }

    @Test func failedGateWithRollbackPolicyAsksForRollbackAndKeepsOld() async {
        let backend = FakeBackend()
        await backend.setHealth(service: "web", .unhealthy)
        let old = DesiredApp(project: "p", services: [Self.svc("web", env: "1", health: true, order: .startFirst, failure: .rollback)])
        let new = DesiredApp(project: "p", services: [Self.svc("web", env: "2", health: true, order: .startFirst, failure: .rollback)])
        let observed = ObservedApp(containers: [.from(old.services[0], project: "p", id: "old1")], appliedReplicas: ["web": 1])
        let report = await Executor(backend: backend, options: Self.fast).run(Planner.plan(desired: new, observed: observed))
        #expect(!report.succeeded)
        #expect(report.rollbackRequested)
        // The old container was never touched; the failed new one is gone.
        #expect(await backend.log == ["create p-web-1-next -> c1", "start p-web-1-next", "stop p-web-1-next", "remove p-web-1-next"])
    }

    @Test func stopFirstReplaceAndRecordsEvents() async {
        let backend = FakeBackend()
        let old = DesiredApp(project: "p", services: [Self.svc("web", env: "1")])
        let new = DesiredApp(project: "p", services: [Self.svc("web", env: "2")])
        let observed = ObservedApp(containers: [.from(old.services[0], project: "p", id: "old1")], appliedReplicas: ["web": 1])
        let events = EventLog()
        let report = await Executor(backend: backend, options: Self.fast).run(Planner.plan(desired: new, observed: observed)) {
            await events.add($0)
        }
        #expect(report.succeeded)
        #expect(await backend.log == ["stop old1", "remove old1", "create p-web-1 -> c1", "start p-web-1"])
        #expect(await events.lines == ["removed old1", "created c1 p-web-1"])
    }

    /// A stop that will wait out the grace period says why, once, on its action's progress line.
    @Test func aStopWaitingOutItsGracePeriodSaysWhy() async {
        let backend = FakeBackend()
        let why = "waiting up to 10s: PID 1 ignores SIGTERM (init: true or STOPSIGNAL helps)"
        await backend.setGraceWait(why)
        let old = DesiredApp(project: "p", services: [Self.svc("web", env: "1")])
        let new = DesiredApp(project: "p", services: [Self.svc("web", env: "2")])
        let observed = ObservedApp(containers: [.from(old.services[0], project: "p", id: "old1")], appliedReplicas: ["web": 1])
        let seen = EventLines()
        let report = await Executor(backend: backend, options: Self.fast, progress: { event in
            if case .action(let a, let status) = event { seen.add("\(a.subject) \(status)") }
        }).run(Planner.plan(desired: new, observed: observed))
        #expect(report.succeeded)
        #expect(seen.lines == ["web running", "web waiting(\"\(why)\")", "web done"])
    }

    @Test func failureStopsAtTheNodeAndReportsWhatRan() async {
        let backend = FakeBackend()
        await backend.setFailCreate("p-b-1")
        let app = DesiredApp(project: "p", services: [Self.svc("a"), Self.svc("b"), Self.svc("c", deps: [Dependency(service: "b")])])
        let report = await Executor(backend: backend, options: Self.fast).run(Planner.plan(desired: app, observed: ObservedApp()))
        #expect(report.failure?.description == "create p-b-1: boom")
        let byAction = Dictionary(uniqueKeysWithValues: report.outcomes.map { ($0.action, $0.status) })
        #expect(byAction[1] == .failed)   // b
        #expect(byAction[2] == .skipped)  // c depends on b
    }
}

actor EventLog {
    var lines: [String] = []
    func add(_ e: ContainerEvent) {
        switch e {
        case .created(let id, _, _, let name): lines.append("created \(id) \(name)")
        case .removed(let id): lines.append("removed \(id)")
        case .renamed(let id, let name): lines.append("renamed \(id) \(name)")
        }
    }
}

/// Records how many replacements overlap.
actor OverlapProbe {
    var current = 0
    var peak = 0
    func enter() { current += 1; peak = max(peak, current) }
    func leave() { current -= 1 }
}

final class SlowBackend: ContainerBackend, @unchecked Sendable {
    let inner = FakeBackend()
    let probe = OverlapProbe()
    func createNetwork(project: String, _ network: DesiredNetwork) async throws {}
    func removeNetwork(project: String, name: String) async throws {}
    func createVolume(project: String, _ volume: DesiredVolume) async throws {}
    func removeVolume(project: String, name: String) async throws {}
    func createContainer(project: String, service: DesiredService, replica: Int, name: String, startsNext: Bool) async throws -> String {
        await probe.enter()
        try await Task.sleep(nanoseconds: 30_000_000)
        await probe.leave()
        return try await inner.createContainer(project: project, service: service, replica: replica, name: name, startsNext: startsNext)
    }
    func start(id: String) async throws { try await inner.start(id: id) }
    func stop(id: String, timeout: CNCDuration?) async throws { try await inner.stop(id: id, timeout: timeout) }
    func remove(id: String) async throws { try await inner.remove(id: id) }
    func rename(id: String, to name: String) async throws { try await inner.rename(id: id, to: name) }
    func updateLimits(id: String, _ limits: CgroupLimits) async throws {}
    func sweepIncomplete() async throws {}
    func observe(id: String) async throws -> ContainerObservation { try await inner.observe(id: id) }
    func listContainers(project: String) async throws -> [RuntimeContainer] { [] }
    func listNetworks(project: String) async throws -> [ObservedResource] { [] }
    func listVolumes(project: String) async throws -> [ObservedResource] { [] }
}

@Suite struct RollingUpdateTests {
    static func app(env: String, parallelism: Int) -> DesiredApp {
        var s = ExecutorTests.svc("web", env: env)
        s.replicas = 4
        s.update = UpdatePolicy(order: .stopFirst, parallelism: parallelism)
        return DesiredApp(project: "p", services: [s])
    }

    @Test(arguments: [(1, 1), (2, 2), (0, 4)])
    func parallelismBoundsConcurrentReplacements(_ parallelism: Int, _ expectedPeak: Int) async {
        let old = Self.app(env: "1", parallelism: parallelism)
        let observed = ObservedApp(containers: (1...4).map { .from(old.services[0], project: "p", replica: $0, id: "old\($0)") },
                                   appliedReplicas: ["web": 4])
        let new = Self.app(env: "2", parallelism: parallelism)
        let backend = SlowBackend()
        let report = await Executor(backend: backend, options: ExecutorTests.fast).run(Planner.plan(desired: new, observed: observed))
        #expect(report.succeeded)
        #expect(await backend.probe.peak == expectedPeak)
    }
}

@Suite struct GateTimeoutTests {
    @Test func aDependencyThatNeverBecomesHealthyTimesOutAfterItsOwnGateTimeout() async {
        let backend = FakeBackend()
        await backend.setHealth(service: "db", .starting)
        var db = ExecutorTests.svc("db", health: true)
        db.update.gateTimeout = CNCDuration(nanoseconds: 100_000_000)
        let app = DesiredApp(project: "p", services: [ExecutorTests.svc("web", deps: [Dependency(service: "db", condition: .healthy)]), db])
        // The executor's default (300 ms in these tests) would allow longer; the service says 100 ms.
        let report = await Executor(backend: backend, options: ExecutorTests.fast).run(Planner.plan(desired: app, observed: ObservedApp()))
        #expect(report.failure?.description == "db did not become healthy within 100ms")
    }
}

/// Lines collected from a synchronous progress callback.
final class EventLines: Sendable {
    private let store = Mutex<[String]>([])
    func add(_ line: String) { store.withLock { $0.append(line) } }
    var lines: [String] { store.withLock { $0 } }
}
