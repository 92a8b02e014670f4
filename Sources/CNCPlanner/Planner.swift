import CNCCore

/// Options that change what a plan contains.
public struct PlanOptions: Sendable, Equatable {
    /// Remove containers of services no longer in the spec (and networks the app no longer uses).
    public var prune: Bool
    /// With prune: remove volumes no longer in the spec too (data loss: only when asked).
    public var pruneVolumes: Bool
    public var forceRecreate: Bool
    /// Create containers but do not start them (and do not start stopped ones).
    public var noStart: Bool

    public init(prune: Bool = false, pruneVolumes: Bool = false, forceRecreate: Bool = false, noStart: Bool = false) {
        self.prune = prune
        self.pruneVolumes = pruneVolumes
        self.forceRecreate = forceRecreate
        self.noStart = noStart
    }
}

/// desired x observed -> Plan. Pure and synchronous: the same inputs always give the same plan.
public enum Planner {
    public static func plan(desired: DesiredApp, observed: ObservedApp, options: PlanOptions = PlanOptions()) -> Plan {
        var b = Builder(project: desired.project, noStart: options.noStart)
        let desiredNames = Set(desired.services.map(\.name))

        // Networks and volumes first: containers depend on them.
        var networkAction: [String: Int] = [:]
        let observedNetworks = Dictionary(observed.networks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let recreatedNetworks = Set(desired.networks.filter { n in
            !n.external && observedNetworks[n.name].map { $0.configHash != n.configHash } == true
        }.map(\.name))
        // A network with endpoints cannot be removed: the containers of the services on a
        // network being recreated go first (whatever their update order), and come back on the
        // new network as creates.
        var observedContainers = observed.containers
        var endpointRemovals: [String: [Int]] = [:]
        var recreatedBecause: [String: String] = [:]
        for service in desired.services.sorted(by: { $0.name < $1.name }) {
            guard let net = service.networks.sorted().first(where: recreatedNetworks.contains) else { continue }
            let cause = "network \(net) recreated"
            recreatedBecause[service.name] = cause
            let on = observedContainers.filter { $0.service == service.name }.sorted { ($0.replica, $0.name) < ($1.replica, $1.name) }
            for c in on {
                let id = b.add(.remove, subject: service.name, target: .service(service), container: c.name, replica: c.replica,
                               containerID: c.id, existing: c.name, cause: cause, showReplica: on.count > 1 || service.replicas > 1)
                for n in service.networks where recreatedNetworks.contains(n) { endpointRemovals[n, default: []].append(id) }
            }
            observedContainers.removeAll { $0.service == service.name }
        }
        for n in desired.networks.sorted(by: { $0.name < $1.name }) where !n.external {
            if observedNetworks[n.name] != nil {
                if recreatedNetworks.contains(n.name) {
                    let rm = b.add(.removeNetwork, subject: n.name, cause: "config changed (recreated)", after: endpointRemovals[n.name] ?? [])
                    networkAction[n.name] = b.add(.createNetwork, subject: n.name, target: .network(n), cause: "config changed", after: [rm])
                }
            } else {
                networkAction[n.name] = b.add(.createNetwork, subject: n.name, target: .network(n), cause: "new network")
            }
        }
        var volumeAction: [String: Int] = [:]
        let observedVolumes = Set(observed.volumes.map(\.name))
        for v in desired.volumes.sorted(by: { $0.name < $1.name }) where !v.external && !observedVolumes.contains(v.name) {
            volumeAction[v.name] = b.add(.createVolume, subject: v.name, target: .volume(v), cause: "new volume")
        }

        // Services in dependency order, so an action's dependencies already have ids.
        let observedByService = Dictionary(grouping: observedContainers, by: \.service)
        var serviceActions: [String: [Int]] = [:]
        var replacedServices = Set(recreatedBecause.keys)
        for service in dependencyOrder(desired.services) {
            // An interrupted start-first update can leave two containers for one replica: keep the
            // one with the canonical name, remove the other.
            var containers: [ObservedContainer] = []
            var removedDuplicates = false
            var duplicateRemoval: [Int: [Int]] = [:]
            for (replica, group) in Dictionary(grouping: observedByService[service.name] ?? [], by: \.replica).sorted(by: { $0.key < $1.key }) {
                let canonical = service.containerName(project: desired.project, replica: replica)
                let sorted = group.sorted { ($0.name == canonical ? 0 : 1, $0.name) < ($1.name == canonical ? 0 : 1, $1.name) }
                containers.append(sorted[0])
                for extra in sorted.dropFirst() {
                    let id = b.add(.remove, subject: service.name, target: .service(service), container: extra.name, replica: replica,
                                   containerID: extra.id, existing: extra.name, cause: "duplicate of replica \(replica) left by an interrupted update", showReplica: true)
                    duplicateRemoval[replica, default: []].append(id)
                    removedDuplicates = true
                }
            }
            var prerequisites: [ActionDependency] = []
            for net in service.networks { if let id = networkAction[net] { prerequisites.append(.init(action: id, condition: .done)) } }
            for vol in service.volumes { if let id = volumeAction[vol] { prerequisites.append(.init(action: id, condition: .done)) } }
            var restartBecause: String?
            for dep in service.dependsOn {
                let condition: ActionDependency.Condition = switch dep.condition {
                case .started: .started
                case .healthy: .healthy
                case .completedSuccessfully: .completedSuccessfully
                }
                for id in serviceActions[dep.service] ?? [] { prerequisites.append(.init(action: id, condition: condition)) }
                if dep.restart, replacedServices.contains(dep.service), restartBecause == nil {
                    restartBecause = "dependency \(dep.service) replaced"
                }
            }
            let showReplica = service.replicas > 1 || containers.count > 1
            var ids: [Int] = []
            var unchanged = !removedDuplicates
            let byReplica = Dictionary(containers.map { ($0.replica, $0) }, uniquingKeysWith: { a, _ in a })
            for replica in 1...max(service.replicas, 1) where service.replicas > 0 {
                let name = service.containerName(project: desired.project, replica: replica)
                // The replica's new container may reuse a name a duplicate still holds.
                let prerequisites = prerequisites + (duplicateRemoval[replica] ?? []).map { ActionDependency(action: $0, condition: .done) }
                guard let c = byReplica[replica] else {
                    let applied = observed.appliedReplicas[service.name] ?? 0
                    let cause: String
                    if let because = recreatedBecause[service.name] {
                        cause = because
                    } else if replica <= applied {
                        cause = "container missing (removed outside cnc)"
                    } else if containers.isEmpty && applied == 0 {
                        cause = "new service"
                    } else {
                        cause = "scale \(max(containers.count, applied)) -> \(service.replicas)"
                    }
                    ids.append(b.add(.create, subject: service.name, target: .service(service), container: name, replica: replica, cause: cause,
                                     deps: prerequisites, showReplica: showReplica))
                    unchanged = false
                    continue
                }
                if let (cause, changes) = replaceCause(service: service, container: c, options: options) {
                    ids.append(b.add(.replace, subject: service.name, target: .service(service), container: name, replica: replica,
                                     containerID: c.id, existing: c.name, cause: cause, changes: changes, deps: prerequisites, update: service.update, showReplica: showReplica))
                    replacedServices.insert(service.name)
                    unchanged = false
                    continue
                }
                let limitChanges = service.liveLimits.changes(from: c.liveLimits)
                if !limitChanges.isEmpty {
                    ids.append(b.add(.updateLimits, subject: service.name, target: .service(service), container: name, replica: replica,
                                     containerID: c.id, existing: c.name, cause: limitChanges.joined(separator: ", ") + " (in place)", deps: [], showReplica: showReplica))
                    unchanged = false
                }
                if let because = restartBecause {
                    ids.append(b.add(.restart, subject: service.name, target: .service(service), container: name, replica: replica,
                                     containerID: c.id, existing: c.name, cause: because, deps: prerequisites, showReplica: showReplica))
                    unchanged = false
                } else if !options.noStart, c.status != .running, c.status != .restarting {
                    // A paused container has not exited: its last exit code (if any) says nothing.
                    let was = c.status == .paused ? c.status.rawValue : c.exitCode.map { "\(c.status.rawValue), exit code \($0)" } ?? c.status.rawValue
                    ids.append(b.add(.start, subject: service.name, target: .service(service), container: name, replica: replica,
                                     containerID: c.id, existing: c.name, cause: "not running (\(was))", deps: prerequisites, showReplica: showReplica))
                    unchanged = false
                }
            }
            for c in containers where c.replica > service.replicas {
                b.add(.remove, subject: service.name, target: .service(service), container: c.name, replica: c.replica,
                      containerID: c.id, existing: c.name, cause: "scale \(containers.count) -> \(service.replicas)", showReplica: true)
                unchanged = false
            }
            if unchanged { b.kept.append(service.name) }
            serviceActions[service.name] = ids
        }

        // Containers of services the spec no longer has.
        let orphans = observed.containers.filter { !desiredNames.contains($0.service) }.sorted { ($0.service, $0.replica) < ($1.service, $1.replica) }
        if options.prune {
            for c in orphans {
                b.add(.remove, subject: c.service, container: c.name, replica: c.replica, containerID: c.id, existing: c.name,
                      cause: "not in spec (--prune)", showReplica: orphans.filter { $0.service == c.service }.count > 1)
            }
            let wantedNetworks = Set(desired.networks.map(\.name))
            for n in observed.networks.sorted(by: { $0.name < $1.name }) where !wantedNetworks.contains(n.name) {
                let users = b.actions.filter { $0.kind == .remove }.map { ActionDependency(action: $0.id, condition: .done) }
                b.add(.removeNetwork, subject: n.name, cause: "not in spec (--prune)", deps: users)
            }
            if options.pruneVolumes {
                let wanted = Set(desired.volumes.map(\.name))
                for v in observed.volumes.sorted(by: { $0.name < $1.name }) where !wanted.contains(v.name) {
                    let users = b.actions.filter { $0.kind == .remove }.map { ActionDependency(action: $0.id, condition: .done) }
                    b.add(.removeVolume, subject: v.name, cause: "not in spec (--prune-volumes)", deps: users)
                }
            }
        } else if !orphans.isEmpty {
            let names = Array(Set(orphans.map(\.service))).sorted()
            b.warnings.append("orphan containers of services not in the spec: \(names.joined(separator: ", ")) (use --prune to remove them)")
        }

        return Plan(project: desired.project, actions: b.actions, kept: b.kept, warnings: b.warnings,
                    observedFingerprint: observed.fingerprint)
    }

    /// Why `container` must be replaced to match `service`, or nil when it matches.
    static func replaceCause(service: DesiredService, container c: ObservedContainer, options: PlanOptions) -> (String, [ConfigChange])? {
        if options.forceRecreate { return ("--force-recreate", []) }
        if let want = service.imageDigest, want != c.imageDigest {
            let old = c.imageDigest?.short ?? "unknown"
            var cause = "image \(service.image) \(old) -> \(want.short)"
            if service.built == true {
                cause = "image rebuilt \(old) -> \(want.short)"
                if let files = service.buildChanges, !files.isEmpty {
                    let more = files.count > 3 ? " (+\(files.count - 3) more)" : ""
                    cause = "build context changed: \(files.prefix(3).joined(separator: ", "))\(more); " + cause
                }
            }
            return (cause, [ConfigChange(
                path: "image", old: c.imageDigest.map { .string($0.description) }, new: .string(want.description))])
        }
        guard c.configHash != service.configHash else { return nil }
        if let applied = c.appliedSections {
            let changes = SectionDiff.changes(old: applied, new: service.sections)
            if let first = changes.first {
                let more = changes.count > 1 ? " (+\(changes.count - 1) more)" : ""
                return (first.description + more, changes)
            }
        }
        let desiredHashes = service.sectionHashes
        let changed = Set(desiredHashes.keys).union(c.sectionHashes.keys).filter { desiredHashes[$0] != c.sectionHashes[$0] }.sorted()
        if !changed.isEmpty, !c.sectionHashes.isEmpty {
            return ("config changed: \(changed.joined(separator: ", "))", [])
        }
        return ("config hash \(c.configHash.prefix(12)) -> \(service.configHash.prefix(12))", [])
    }

    /// Services with their dependencies first; ties (and cycles, which validation rejects)
    /// resolve by name so the order is stable.
    static func dependencyOrder(_ services: [DesiredService]) -> [DesiredService] {
        let byName = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var done: Set<String> = []
        var visiting: Set<String> = []
        var out: [DesiredService] = []
        func visit(_ s: DesiredService) {
            if done.contains(s.name) || visiting.contains(s.name) { return }
            visiting.insert(s.name)
            for d in s.dependsOn.map(\.service).sorted() { if let dep = byName[d] { visit(dep) } }
            visiting.remove(s.name)
            done.insert(s.name)
            out.append(s)
        }
        for s in services.sorted(by: { $0.name < $1.name }) { visit(s) }
        return out
    }

    struct Builder {
        let project: String
        /// `--no-start`: containers are created (and replaced) but not started, so nothing can
        /// wait for one to start or become healthy.
        var noStart = false
        var actions: [Action] = []
        var kept: [String] = []
        var warnings: [String] = []

        @discardableResult
        mutating func add(_ kind: Action.Kind, subject: String, target: ActionTarget? = nil, container: String? = nil,
                          replica: Int? = nil, containerID: String? = nil, existing: String? = nil, cause: String,
                          changes: [ConfigChange] = [], deps: [ActionDependency] = [], after: [Int] = [],
                          update: UpdatePolicy? = nil, showReplica: Bool = false) -> Int {
            let id = actions.count
            var steps = Planner.steps(kind, subject: subject, container: container, existing: existing, service: target?.service)
            var deps = deps
            if noStart {
                steps.removeAll { ($0.kind == .start && $0.container == .new) || $0.kind == .healthGate }
                deps = deps.map { ActionDependency(action: $0.action, condition: .done) }
            }
            var a = Action(id: id, kind: kind, subject: subject, target: target, container: container, replica: replica,
                           containerID: containerID, cause: cause, changes: changes,
                           dependsOn: deps + after.map { .init(action: $0, condition: .done) }, update: update, steps: steps)
            a.showReplica = showReplica
            actions.append(a)
            return id
        }
    }
}
