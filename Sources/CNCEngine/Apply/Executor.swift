import CNCCore
import CNCPlanner

/// Runs a plan's graph: dependencies first (with their conditions), independent actions in
/// parallel, replacements start-first or stop-first. It makes no decisions of its own: what to
/// do and in what order is the plan's; the executor only reports what happened.
public struct Executor: Sendable {
    public struct Options: Sendable {
        /// How long a dependency may take to become healthy / complete.
        public var gateTimeout: CNCDuration
        /// How often to look at a container while waiting.
        public var pollInterval: CNCDuration
        public init(gateTimeout: CNCDuration = .seconds(60), pollInterval: CNCDuration = CNCDuration(nanoseconds: 50_000_000)) {
            self.gateTimeout = gateTimeout
            self.pollInterval = pollInterval
        }
    }

    /// What happened to one action.
    public struct Outcome: Sendable, Equatable {
        public enum Status: String, Sendable { case done, failed, skipped }
        public var action: Int
        public var status: Status
        /// The container id the action produced or acted on.
        public var containerID: String?
        public var message: String?
    }

    /// The result of running a plan.
    public struct Report: Sendable {
        public var outcomes: [Outcome]
        /// Set when an action failed: the first failure, which stopped its dependents.
        public var failure: CNCError?
        /// A failed health gate whose service asked for `failure_action: rollback`.
        public var rollbackRequested: Bool
        public var succeeded: Bool { failure == nil }
    }

    public let backend: any ContainerBackend
    public let options: Options
    /// Told what happens, as it happens.
    public let progress: @Sendable (ProgressEvent) -> Void

    public init(backend: any ContainerBackend, options: Options = Options(), progress: @escaping @Sendable (ProgressEvent) -> Void = { _ in }) {
        self.backend = backend
        self.options = options
        self.progress = progress
    }

    /// Runs `plan` for `desired`. `onContainer` is told of every container created or removed,
    /// so the caller records it durably as soon as it exists.
    public func run(
        _ plan: Plan, desired: DesiredApp,
        onContainer: @escaping @Sendable (ContainerEvent) async throws -> Void = { _ in }
    ) async -> Report {
        let services = Dictionary(desired.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let state = ExecutionState(count: plan.actions.count)
        await withTaskGroup(of: Void.self) { group in
            for action in plan.actions {
                group.addTask {
                    await self.runOne(action, plan: plan, desired: desired, services: services, state: state, onContainer: onContainer)
                }
            }
        }
        let outcomes = await state.outcomes()
        let failure = await state.firstFailure
        return Report(outcomes: outcomes, failure: failure, rollbackRequested: await state.rollbackRequested)
    }

    private func runOne(
        _ action: Action, plan: Plan, desired: DesiredApp, services: [String: DesiredService], state: ExecutionState,
        onContainer: @escaping @Sendable (ContainerEvent) async throws -> Void
    ) async {
        // Wait for every dependency to finish, then for its condition.
        for dep in action.dependsOn {
            let outcome = await state.wait(for: dep.action)
            guard outcome.status == .done else {
                await state.finish(Outcome(action: action.id, status: .skipped, message: "dependency \(dep.action) did not complete"))
                return
            }
            if let id = outcome.containerID, dep.condition != .done, dep.condition != .started {
                do {
                    let dependency = plan.actions[dep.action]
                    try await gate(id: id, condition: dep.condition, subject: dependency.subject,
                                   timeout: services[dependency.subject]?.update.gateTimeout)
                } catch {
                    let e = error as? CNCError ?? CNCError.wrap(error, "dependency gate failed")
                    await state.fail(e)
                    await state.finish(Outcome(action: action.id, status: .skipped, message: e.description))
                    return
                }
            }
        }
        if await state.stopped {
            await state.finish(Outcome(action: action.id, status: .skipped, message: "an earlier action failed"))
            return
        }
        do {
            progress(.action(action, .running))
            let id = try await perform(action, desired: desired, services: services, onContainer: onContainer, state: state)
            progress(.action(action, .done))
            await state.finish(Outcome(action: action.id, status: .done, containerID: id))
        } catch {
            let e = error as? CNCError ?? CNCError.wrap(error, "\(action.subject): \(action.kind.rawValue) failed")
            progress(.action(action, .failed(e.description)))
            await state.fail(e)
            await state.finish(Outcome(action: action.id, status: .failed, containerID: action.containerID, message: e.description))
        }
    }

    private func perform(
        _ action: Action, desired: DesiredApp, services: [String: DesiredService],
        onContainer: @escaping @Sendable (ContainerEvent) async throws -> Void, state: ExecutionState
    ) async throws -> String? {
        let project = desired.project
        func service() throws -> DesiredService {
            guard let s = services[action.subject] else {
                throw CNCError(.internal, "plan names service \(action.subject), which the spec does not have")
            }
            return s
        }
        switch action.kind {
        case .createNetwork:
            let n = desired.networks.first { $0.name == action.subject } ?? DesiredNetwork(name: action.subject)
            try await backend.createNetwork(project: project, n)
            return nil
        case .removeNetwork:
            try await backend.removeNetwork(project: project, name: action.subject)
            return nil
        case .createVolume:
            let v = desired.volumes.first { $0.name == action.subject } ?? DesiredVolume(name: action.subject)
            try await backend.createVolume(project: project, v)
            return nil
        case .removeVolume:
            try await backend.removeVolume(project: project, name: action.subject)
            return nil
        case .create:
            let s = try service()
            let replica = action.replica ?? 1
            let name = action.container ?? s.containerName(project: project, replica: replica)
            let id = try await backend.createContainer(project: project, service: s, replica: replica, name: name)
            try await onContainer(.created(id: id, service: s, replica: replica, name: name))
            try await backend.start(id: id)
            return id
        case .start:
            guard let id = action.containerID else { return nil }
            try await backend.start(id: id)
            return id
        case .restart:
            guard let id = action.containerID else { return nil }
            try await backend.stop(id: id, timeout: nil)
            try await backend.start(id: id)
            return id
        case .stop:
            guard let id = action.containerID else { return nil }
            try await backend.stop(id: id, timeout: nil)
            return id
        case .remove:
            guard let id = action.containerID else { return nil }
            try await backend.stop(id: id, timeout: nil)
            try await backend.remove(id: id)
            try await onContainer(.removed(id: id))
            return nil
        case .updateLimits:
            guard let id = action.containerID else { return nil }
            try await backend.updateLimits(id: id, try service().liveLimits)
            return id
        case .replace:
            // update_config.parallelism: at most that many replicas of a service are replaced at
            // once (0: all); each slot is held for `delay` after its replacement.
            let s = try service()
            let policy = action.update ?? UpdatePolicy()
            await state.acquireSlot(service: s.name, limit: policy.parallelism)
            do {
                let id = try await replace(action, project: project, service: s, onContainer: onContainer, state: state)
                if policy.delay > .zero { try? await Task.sleep(nanoseconds: UInt64(policy.delay.nanoseconds)) }
                await state.releaseSlot(service: s.name)
                return id
            } catch {
                await state.releaseSlot(service: s.name)
                throw error
            }
        }
    }

    private func replace(
        _ action: Action, project: String, service s: DesiredService,
        onContainer: @escaping @Sendable (ContainerEvent) async throws -> Void, state: ExecutionState
    ) async throws -> String {
        let replica = action.replica ?? 1
        let name = action.container ?? s.containerName(project: project, replica: replica)
        let policy = action.update ?? UpdatePolicy()
        let old = action.containerID
        switch policy.order {
        case .stopFirst:
            if let old {
                try await backend.stop(id: old, timeout: nil)
                try await backend.remove(id: old)
                try await onContainer(.removed(id: old))
            }
            let id = try await backend.createContainer(project: project, service: s, replica: replica, name: name)
            try await onContainer(.created(id: id, service: s, replica: replica, name: name))
            try await backend.start(id: id)
            try await healthGate(id: id, service: s, policy: policy, state: state)
            return id
        case .startFirst:
            // The new container runs beside the old one under a temporary name until it is healthy.
            let temporary = name + "-next"
            let id = try await backend.createContainer(project: project, service: s, replica: replica, name: temporary)
            try await onContainer(.created(id: id, service: s, replica: replica, name: temporary))
            try await backend.start(id: id)
            do {
                try await healthGate(id: id, service: s, policy: policy, state: state)
            } catch {
                // Keep the old container serving; drop the new one.
                try? await backend.stop(id: id, timeout: .zero)
                try? await backend.remove(id: id)
                try? await onContainer(.removed(id: id))
                throw error
            }
            if let old {
                try await backend.stop(id: old, timeout: nil)
                try await backend.remove(id: old)
                try await onContainer(.removed(id: old))
            }
            try await backend.rename(id: id, to: name)
            try await onContainer(.renamed(id: id, name: name))
            return id
        }
    }

    /// After a replacement: wait for healthy (when the service has a health check), then the
    /// monitor period; a failure applies the service's failure_action.
    private func healthGate(id: String, service s: DesiredService, policy: UpdatePolicy, state: ExecutionState) async throws {
        let hasHealthcheck = s.sections["healthcheck"].map { $0 != .null } ?? false
        do {
            if hasHealthcheck { try await gate(id: id, condition: .healthy, subject: s.name, timeout: policy.gateTimeout) }
            if policy.monitor > .zero {
                try await Task.sleep(nanoseconds: UInt64(policy.monitor.nanoseconds))
                let o = try await backend.observe(id: id)
                if o.status != .running || o.health == .unhealthy {
                    throw CNCError(.timeout, "\(s.name): new container \(o.status.rawValue)\(o.health == .unhealthy ? ", unhealthy" : "") during the monitor period")
                }
            }
        } catch {
            switch policy.failureAction {
            case .continue: return
            case .rollback: await state.requestRollback()
            case .pause: break
            }
            throw error
        }
    }

    /// Waits until container `id` is healthy / has completed successfully.
    private func gate(id: String, condition: ActionDependency.Condition, subject: String, timeout: CNCDuration?) async throws {
        let limit = timeout ?? options.gateTimeout
        let deadline = ContinuousClock.now + .nanoseconds(limit.nanoseconds)
        while true {
            let o = try await backend.observe(id: id)
            switch condition {
            case .healthy:
                if o.health == .healthy { return }
                if o.health == .unhealthy {
                    throw CNCError(.conflict, "\(subject) is unhealthy")
                }
                if o.status == .exited || o.status == .dead {
                    throw CNCError(.conflict, "\(subject) exited (code \(o.exitCode.map(String.init) ?? "?")) before it became healthy")
                }
            case .completedSuccessfully:
                if o.status == .exited || o.status == .dead {
                    if o.exitCode == 0 { return }
                    throw CNCError(.conflict, "\(subject) did not complete successfully (exit code \(o.exitCode.map(String.init) ?? "?"))")
                }
            case .done, .started:
                return
            }
            if ContinuousClock.now >= deadline {
                throw CNCError(.timeout, "\(subject) did not become \(condition.rawValue) within \(limit)")
            }
            try await Task.sleep(nanoseconds: UInt64(options.pollInterval.nanoseconds))
        }
    }
}

/// Progress of a running plan, for the live view.
public enum ProgressEvent: Sendable {
    public enum Status: Sendable, Equatable {
        case running
        case done
        case failed(String)
    }
    case action(Action, Status)
    /// A line of its own (image pulls, rollback notices).
    case note(String)
}

/// A container the executor created, removed or renamed — recorded durably by the caller.
public enum ContainerEvent: Sendable {
    case created(id: String, service: DesiredService, replica: Int, name: String)
    case removed(id: String)
    case renamed(id: String, name: String)
}

/// Shared bookkeeping of a running plan: outcomes, waiters, the first failure.
actor ExecutionState {
    private var results: [Int: Executor.Outcome] = [:]
    private var waiters: [Int: [CheckedContinuation<Executor.Outcome, Never>]] = [:]
    private(set) var firstFailure: CNCError?
    private(set) var rollbackRequested = false
    let count: Int

    init(count: Int) { self.count = count }

    var stopped: Bool { firstFailure != nil }

    func wait(for action: Int) async -> Executor.Outcome {
        if let r = results[action] { return r }
        return await withCheckedContinuation { waiters[action, default: []].append($0) }
    }

    func finish(_ outcome: Executor.Outcome) {
        results[outcome.action] = outcome
        for w in waiters.removeValue(forKey: outcome.action) ?? [] { w.resume(returning: outcome) }
    }

    func fail(_ error: CNCError) {
        if firstFailure == nil { firstFailure = error }
    }

    func requestRollback() { rollbackRequested = true }

    // Rolling-update slots per service.
    private var slotsInUse: [String: Int] = [:]
    private var slotWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func acquireSlot(service: String, limit: Int) async {
        if limit <= 0 || slotsInUse[service, default: 0] < limit {
            slotsInUse[service, default: 0] += 1
            return
        }
        await withCheckedContinuation { slotWaiters[service, default: []].append($0) }
    }

    func releaseSlot(service: String) {
        if var waiting = slotWaiters[service], !waiting.isEmpty {
            // Hand the slot straight to the next waiter.
            let next = waiting.removeFirst()
            slotWaiters[service] = waiting
            next.resume()
        } else {
            slotsInUse[service, default: 1] -= 1
        }
    }

    func outcomes() -> [Executor.Outcome] { results.values.sorted { $0.action < $1.action } }
}
