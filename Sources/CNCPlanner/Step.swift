import CNCCore

/// One runtime call of an action, in the order the executor makes them. The planner writes them
/// (a replace's order follows update_config.order), so `--dry-run` and `-o json` show exactly
/// what will happen, and the executor runs them without deciding anything.
public struct Step: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case createNetwork = "create-network"
        case removeNetwork = "remove-network"
        case createVolume = "create-volume"
        case removeVolume = "remove-volume"
        case create
        case start
        case healthGate = "health-gate"
        case stop
        case remove
        case rename
        case updateLimits = "update-limits"
    }

    /// Which container a step acts on: the one the action creates, or the one it found running.
    public enum Container: String, Sendable, Codable { case new, existing }

    public var kind: Kind
    /// nil for network and volume steps.
    public var container: Container?
    /// The container's (or network's, volume's) name when the step runs.
    public var name: String
    /// rename: the name the container takes.
    public var to: String?
    /// health-gate: what the new container must show before the action goes on.
    public var gate: HealthGate?

    public init(_ kind: Kind, _ container: Container? = nil, name: String, to: String? = nil, gate: HealthGate? = nil) {
        self.kind = kind
        self.container = container
        self.name = name
        self.to = to
        self.gate = gate
    }

    /// `rename shop-web-1-next -> shop-web-1`, `health gate shop-web-1: healthy within 60s`.
    public var line: String {
        switch kind {
        case .rename: "rename \(name) -> \(to ?? name)"
        case .healthGate: "health gate \(name)" + (gate.map { ": " + $0.summary } ?? "")
        default: "\(kind.rawValue) \(name)"
        }
    }
}

/// What a new container must show after a replacement: healthy (when the service has a health
/// check), then still running and not unhealthy through the monitor window.
public struct HealthGate: Sendable, Codable, Equatable {
    /// The service has a health check: wait for `healthy`.
    public var healthy: Bool
    /// How long it may take to become healthy; nil: the executor's default.
    public var timeout: CNCDuration?
    /// update_config.monitor (only kept with failure_action: rollback).
    public var monitor: CNCDuration
    public var failureAction: UpdatePolicy.FailureAction
    /// start-first: a failed gate stops and removes the new container; the old one keeps serving.
    public var removeOnFailure: Bool

    public init(healthy: Bool, timeout: CNCDuration? = nil, monitor: CNCDuration = .zero,
                failureAction: UpdatePolicy.FailureAction = .pause, removeOnFailure: Bool = false) {
        self.healthy = healthy
        self.timeout = timeout
        self.monitor = monitor
        self.failureAction = failureAction
        self.removeOnFailure = removeOnFailure
    }

    var summary: String {
        var parts: [String] = []
        if healthy { parts.append("healthy" + (timeout.map { " within \($0)" } ?? "")) }
        if monitor > .zero { parts.append("running for \(monitor)") }
        let s = parts.joined(separator: ", then ")
        let next = switch failureAction {
        case .pause: "stop the apply"
        case .continue: "carry on"
        case .rollback: "roll back"
        }
        return s + "; on failure: " + (removeOnFailure ? "remove it, " : "") + next
    }
}
