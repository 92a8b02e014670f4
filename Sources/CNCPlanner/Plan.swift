import CNCCore

/// A plan is data: ordered actions, each with its cause and dependencies. The executor decides
/// nothing; `--dry-run` prints the very plan the executor would run.
public struct Plan: Sendable, Codable, Equatable {
    /// 2: actions carry their target (by reference) and steps.
    public static let formatVersion = 2

    public var version: Int = Plan.formatVersion
    public var project: String
    public var actions: [Action]
    /// Services left as they are (printed as `keep`).
    public var kept: [String]
    /// Things worth saying that are not actions (orphans without --prune...).
    public var warnings: [String]
    /// The observed state this plan was made from (see ObservedApp.fingerprint).
    public var observedFingerprint: String

    /// True when applying would change nothing.
    public var isEmpty: Bool { actions.isEmpty }

    /// One line per action, then the kept services: `web: replace — environment.PORT "80" -> "8080"`.
    public var text: String { text(steps: false) }

    /// With `steps`, a replace's steps follow its line, indented: the order start-first or
    /// stop-first will run them in. What `--dry-run` and `diff` print.
    public func text(steps: Bool) -> String {
        var lines: [String] = []
        for a in actions {
            lines.append(a.line)
            if steps, a.kind == .replace { lines += a.steps.map { "  " + $0.line } }
        }
        lines += kept.map { "\($0): keep" }
        lines += warnings.map { "warning: \($0)" }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// A decoded plan with its targets' typed objects taken from `desired` (a saved plan holds
    /// references only); throws when `desired` lacks one or has it at another config hash.
    public func attaching(_ desired: DesiredApp) throws -> Plan {
        var plan = self
        for i in plan.actions.indices {
            if case .reference(let r)? = plan.actions[i].target {
                plan.actions[i].target = try ActionTarget.resolve(r, in: desired)
            }
        }
        return plan
    }
}

public struct Action: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case createNetwork = "create-network"
        case createVolume = "create-volume"
        case create
        case start
        case replace
        case restart
        case updateLimits = "update-limits"
        case stop
        case remove
        case removeNetwork = "remove-network"
        case removeVolume = "remove-volume"
    }

    /// Index in Plan.actions.
    public var id: Int
    public var kind: Kind
    /// The service (or network/volume) the action is about.
    public var subject: String
    /// The typed object the executor needs (nil for what the spec no longer has: orphans).
    public var target: ActionTarget?
    /// The container acted on or created, when there is one.
    public var container: String?
    public var replica: Int?
    /// For replace/remove/stop/restart/update: the existing container's id.
    public var containerID: String?
    /// Why, in words: "new service", "image web:v2 sha256:ab.. -> sha256:cd..".
    public var cause: String
    /// The leaf changes behind a replace, for JSON consumers.
    public var changes: [ConfigChange]
    /// Actions that must finish first (and the condition they must reach).
    public var dependsOn: [ActionDependency]
    /// For replace: how to roll (start-first or stop-first, health gate...).
    public var update: UpdatePolicy?
    /// The runtime calls, in order; the executor runs exactly these.
    public var steps: [Step]

    public var line: String {
        var s = "\(subject): \(kind.rawValue)"
        if showReplica, let replica { s += " [\(replica)]" }
        s += " — \(cause)"
        return s
    }

    /// Replica numbers are shown when the service has more than one replica in play.
    public var showReplica: Bool = false
}

public struct ActionDependency: Sendable, Codable, Equatable {
    public enum Condition: String, Sendable, Codable { case done, started, healthy, completedSuccessfully = "completed-successfully" }
    public var action: Int
    public var condition: Condition

    public init(action: Int, condition: Condition) {
        self.action = action
        self.condition = condition
    }
}
