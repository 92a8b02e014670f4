import CNCCore

extension Planner {
    /// The runtime calls of one action. `container`: the name the action gives a container it
    /// creates; `existing`: the name of the container it found.
    static func steps(_ kind: Action.Kind, subject: String, container: String?, existing: String?, service: DesiredService?) -> [Step] {
        let new = container ?? subject
        let old = existing ?? container ?? subject
        switch kind {
        case .createNetwork: return [Step(.createNetwork, name: subject)]
        case .removeNetwork: return [Step(.removeNetwork, name: subject)]
        case .createVolume: return [Step(.createVolume, name: subject)]
        case .removeVolume: return [Step(.removeVolume, name: subject)]
        case .create: return [Step(.create, .new, name: new), Step(.start, .new, name: new)]
        case .start: return [Step(.start, .existing, name: old)]
        case .restart: return [Step(.stop, .existing, name: old), Step(.start, .existing, name: old)]
        case .stop: return [Step(.stop, .existing, name: old)]
        case .remove: return [Step(.stop, .existing, name: old), Step(.remove, .existing, name: old)]
        case .updateLimits: return [Step(.updateLimits, .existing, name: old)]
        case .replace: return replaceSteps(new: new, old: old, service: service)
        }
    }

    /// update_config.order: stop-first frees the name (and the resources) before the new
    /// container starts; start-first runs the new one as `<name>-next` until it passes its
    /// health gate, and only then retires the old one.
    static func replaceSteps(new: String, old: String, service: DesiredService?) -> [Step] {
        let policy = service?.update ?? UpdatePolicy()
        let healthcheck = service?.sections["healthcheck"].map { $0 != .null } ?? false
        let retire = [Step(.stop, .existing, name: old), Step(.remove, .existing, name: old)]
        func startNew(_ name: String, startFirst: Bool) -> [Step] {
            var steps = [Step(.create, .new, name: name), Step(.start, .new, name: name)]
            if healthcheck || policy.monitor > .zero {
                // A failure that carries on keeps the new container, whatever the order.
                let gate = HealthGate(healthy: healthcheck, timeout: policy.gateTimeout, monitor: policy.monitor,
                                      failureAction: policy.failureAction,
                                      removeOnFailure: startFirst && policy.failureAction != .continue)
                steps.append(Step(.healthGate, .new, name: name, gate: gate))
            }
            return steps
        }
        switch policy.order {
        case .stopFirst:
            return retire + startNew(new, startFirst: false)
        case .startFirst:
            let temporary = new + "-next"
            return startNew(temporary, startFirst: true) + retire + [Step(.rename, .new, name: temporary, to: new)]
        }
    }
}
