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

    /// Runs `plan`, whose actions carry the objects they need (attach a decoded plan first).
    /// `onContainer` is told of every container created, removed or renamed, so the caller
    /// records it durably as soon as it exists.
    public func run(
        _ plan: Plan,
        onContainer: @escaping @Sendable (ContainerEvent) async throws -> Void = { _ in }
    ) async -> Report {
        let state = ExecutionState(count: plan.actions.count)
        await withTaskGroup(of: Void.self) { group in
            for action in plan.actions {
                group.addTask {
                    await self.runOne(action, plan: plan, state: state, onContainer: onContainer)
                }
            }
        }
        let outcomes = await state.outcomes()
        let failure = await state.firstFailure
        return Report(outcomes: outcomes, failure: failure, rollbackRequested: await state.rollbackRequested)
    }

    private func runOne(
        _ action: Action, plan: Plan, state: ExecutionState,
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
                                   timeout: dependency.target?.service?.update.gateTimeout)
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
            let id = try await perform(action, project: plan.project, onContainer: onContainer, state: state)
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
        _ action: Action, project: String,
        onContainer: @escaping @Sendable (ContainerEvent) async throws -> Void, state: ExecutionState
    ) async throws -> String? {
        guard action.kind == .replace else {
            return try await runSteps(action, project: project, onContainer: onContainer, state: state)
        }
        // update_config.parallelism: at most that many replicas of a service are replaced at
        // once (0: all); each slot is held for `delay` after its replacement.
        let policy = action.update ?? UpdatePolicy()
        await state.acquireSlot(service: action.subject, limit: policy.parallelism)
        do {
            let id = try await runSteps(action, project: project, onContainer: onContainer, state: state)
            if policy.delay > .zero { try? await Task.sleep(nanoseconds: UInt64(policy.delay.nanoseconds)) }
            await state.releaseSlot(service: action.subject)
            return id
        } catch {
            await state.releaseSlot(service: action.subject)
            throw error
        }
    }

    /// Runs the action's steps in order; returns the container it leaves in place (the new one,
    /// else the existing one unless removed).
    private func runSteps(
        _ action: Action, project: String,
        onContainer: @escaping @Sendable (ContainerEvent) async throws -> Void, state: ExecutionState
    ) async throws -> String? {
        // The planner attaches the object every step needs; a decoded plan must be attached first.
        func need<T>(_ object: T?, _ what: String) throws -> T {
            guard let object else {
                throw CNCError(.internal, "plan action \(action.id) (\(action.subject): \(action.kind.rawValue)) carries no desired \(what)")
            }
            return object
        }
        func service() throws -> DesiredService { try need(action.target?.service, "service") }
        var created: String?
        var existing = action.containerID
        func container(_ step: Step) throws -> String {
            let id = step.container == .new ? created : existing
            guard let id else {
                throw CNCError(.internal, "plan action \(action.id): step \(step.line) has no container to act on")
            }
            return id
        }
        let replica = action.replica ?? 1
        for (index, step) in action.steps.enumerated() {
            switch step.kind {
            case .createNetwork:
                try await backend.createNetwork(project: project, try need(action.target?.network, "network"))
            case .removeNetwork:
                try await backend.removeNetwork(project: project, name: step.name)
            case .createVolume:
                try await backend.createVolume(project: project, try need(action.target?.volume, "volume"))
            case .removeVolume:
                try await backend.removeVolume(project: project, name: step.name)
            case .create:
                let s = try service()
                let startsNext = action.steps.dropFirst(index + 1).first.map { $0.kind == .start && $0.container == .new } ?? false
                let id = try await backend.createContainer(project: project, service: s, replica: replica, name: step.name, startsNext: startsNext)
                created = id
                try await onContainer(.created(id: id, service: s, replica: replica, name: step.name))
            case .start:
                try await backend.start(id: try container(step))
            case .stop:
                let progress = self.progress
                try await backend.stop(id: try container(step), timeout: nil) { why in progress(.action(action, .waiting(why))) }
            case .remove:
                let id = try container(step)
                try await backend.remove(id: id)
                try await onContainer(.removed(id: id))
                if step.container == .new { created = nil } else { existing = nil }
            case .rename:
                let id = try container(step)
                let name = step.to ?? step.name
                try await backend.rename(id: id, to: name)
                try await onContainer(.renamed(id: id, name: name))
            case .updateLimits:
                try await backend.updateLimits(id: try container(step), try service().liveLimits)
            case .healthGate:
                let id = try container(step)
                let gate = step.gate ?? HealthGate(healthy: true)
                do {
                    try await healthGate(id: id, subject: action.subject, gate, state: state)
                } catch {
                    if gate.removeOnFailure {
                        // The new container goes; the existing one was never touched.
                        try? await backend.stop(id: id, timeout: .zero)
                        try? await backend.remove(id: id)
                        try? await onContainer(.removed(id: id))
                    }
                    throw error
                }
            }
        }
        return created ?? existing
    }

    /// After a replacement: wait for healthy (when the service has a health check), then the
    /// monitor period; a failure applies the gate's failure_action.
    private func healthGate(id: String, subject: String, _ g: HealthGate, state: ExecutionState) async throws {
        do {
            if g.healthy { try await gate(id: id, condition: .healthy, subject: subject, timeout: g.timeout) }
            if g.monitor > .zero {
                try await Task.sleep(nanoseconds: UInt64(g.monitor.nanoseconds))
                let o = try await backend.observe(id: id)
                if o.status != .running || o.health == .unhealthy {
                    throw CNCError(.timeout, "\(subject): new container \(o.status.rawValue)\(o.health == .unhealthy ? ", unhealthy" : "") during the monitor period")
                }
            }
        } catch {
            switch g.failureAction {
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
        /// Running, and why it takes long (a stop waiting out its grace period).
        case waiting(String)
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
