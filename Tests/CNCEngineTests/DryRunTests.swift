import CNCCore
import CNCEngine
import CNCPlanner
import Foundation
import Testing

/// Reads go to the inner fake; every call that would change the runtime is recorded and fails.
actor ReadOnlyBackend: ContainerBackend {
    let inner: FakeBackend
    var mutations: [String] = []
    init(_ inner: FakeBackend) { self.inner = inner }

    private func refuse(_ call: String) throws -> Never {
        mutations.append(call)
        throw CNCError(.internal, "dry run called \(call)")
    }

    func createNetwork(project: String, _ network: DesiredNetwork) async throws { try refuse("createNetwork \(network.name)") }
    func removeNetwork(project: String, name: String) async throws { try refuse("removeNetwork \(name)") }
    func createVolume(project: String, _ volume: DesiredVolume) async throws { try refuse("createVolume \(volume.name)") }
    func removeVolume(project: String, name: String) async throws { try refuse("removeVolume \(name)") }
    func createContainer(project: String, service: DesiredService, replica: Int, name: String, startsNext: Bool) async throws -> String {
        try refuse("createContainer \(name)")
    }
    func start(id: String) async throws { try refuse("start \(id)") }
    func stop(id: String, timeout: CNCDuration?) async throws { try refuse("stop \(id)") }
    func remove(id: String) async throws { try refuse("remove \(id)") }
    func rename(id: String, to name: String) async throws { try refuse("rename \(id) \(name)") }
    func updateLimits(id: String, _ limits: CgroupLimits) async throws { try refuse("updateLimits \(id)") }
    func sweepIncomplete() async throws { try refuse("sweepIncomplete") }

    func observe(id: String) async throws -> ContainerObservation { try await inner.observe(id: id) }
    func listContainers(project: String) async throws -> [RuntimeContainer] { try await inner.listContainers(project: project) }
    func listNetworks(project: String) async throws -> [ObservedResource] { try await inner.listNetworks(project: project) }
    func listVolumes(project: String) async throws -> [ObservedResource] { try await inner.listVolumes(project: project) }
}

@Suite struct DryRunTests {
    static func app(env: String, services: [String] = ["web", "worker"], cpus: String? = nil) -> DesiredApp {
        DesiredApp(project: "p", services: services.map { name in
            var s = ExecutorTests.svc(name, env: name == "web" ? env : "1", health: true, order: .startFirst)
            if let q = cpus.map({ try! CPUQuantity(parsing: $0) }) {
                s.liveLimits.cpuQuota = q.cfsQuota()
                s.liveLimits.cpuPeriod = CgroupLimits.defaultCPUPeriod
            }
            return s
        }, networks: [DesiredNetwork(name: "default")])
    }

    /// Applies `before` for real, then dry-runs `after` through a backend that fails on any
    /// change: returns the dry run's plan and what it tried to change.
    static func dryRun(from before: DesiredApp?, to after: DesiredApp, options: PlanOptions = PlanOptions()) async throws -> (Plan, [String]) {
        let (engine, fake, dir) = try AppEngineTests.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await fake.setHealth(service: "web", .healthy)
        await fake.setHealth(service: "worker", .healthy)
        if let before {
            let first = try await engine.apply(AppEngineTests.request(before))
            #expect(first.report?.succeeded == true)
        }
        let revisions = try await engine.state.revisions(project: "p").map(\.number)
        let records = try await engine.state.containers(project: "p").map(\.id)
        let containers = try await fake.listContainers(project: "p")

        let guarded = ReadOnlyBackend(fake)
        let dry = AppEngine(config: engine.config, backend: guarded, state: engine.state, executorOptions: ExecutorTests.fast)
        var request = AppEngineTests.request(after)
        request.options = options
        request.dryRun = true
        let result = try await dry.apply(request)
        #expect(result.report == nil && result.revision == nil)
        #expect(try await engine.state.revisions(project: "p").map(\.number) == revisions)
        #expect(try await engine.state.containers(project: "p").map(\.id) == records)
        #expect(try await fake.listContainers(project: "p") == containers)
        return (result.plan, await guarded.mutations)
    }

    @Test func aDryRunOfAFirstApplyCreatesNothing() async throws {
        let (plan, mutations) = try await Self.dryRun(from: nil, to: Self.app(env: "1"))
        #expect(plan.actions.map(\.kind) == [.createNetwork, .create, .create])
        #expect(mutations == [])
    }

    @Test func aDryRunOfAReplaceTouchesNoContainer() async throws {
        let (plan, mutations) = try await Self.dryRun(from: Self.app(env: "1"), to: Self.app(env: "2"))
        #expect(plan.text == "web: replace — environment.V \"1\" -> \"2\"\nworker: keep\n")
        #expect(plan.actions[0].steps.map(\.kind) == [.create, .start, .healthGate, .stop, .remove, .rename])
        #expect(mutations == [])
    }

    @Test func aDryRunOfARemovalAndALimitChangeRemovesNothing() async throws {
        let (plan, mutations) = try await Self.dryRun(
            from: Self.app(env: "1"), to: Self.app(env: "1", services: ["web"], cpus: "0.5"), options: PlanOptions(prune: true))
        #expect(plan.text == "web: update-limits — cpus unlimited -> 0.5 (in place)\nworker: remove — not in spec (--prune)\n")
        #expect(mutations == [])
    }

    /// The guard itself: the same plan, not dry, is refused at its first change.
    @Test func theGuardRefusesChanges() async throws {
        let (engine, fake, dir) = try AppEngineTests.engine()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let guarded = ReadOnlyBackend(fake)
        let wet = AppEngine(config: engine.config, backend: guarded, state: engine.state, executorOptions: ExecutorTests.fast)
        await #expect(throws: CNCError.self) { try await wet.apply(AppEngineTests.request(Self.app(env: "1"))) }
        #expect(await guarded.mutations == ["sweepIncomplete"])
    }
}
