import CNCCore

/// Drift as pure functions of what the revision wanted and what is there.
public enum Drift {
    /// The drift a plan back to the revision reveals: `plan` is Planner.plan(desired: the
    /// revision recompiled, observed: now), so every action it holds is a difference.
    public static func items(plan: Plan, observed: ObservedApp, expected: DesiredApp) -> [DriftItem] {
        let containers = Dictionary(observed.containers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let services = Dictionary(expected.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [DriftItem] = []
        for a in plan.actions {
            let found = a.containerID.flatMap { containers[$0] }
            let subject = a.container ?? a.subject
            switch a.kind {
            case .create:
                out.append(DriftItem(kind: .removed, service: a.subject, subject: subject, what: "container missing",
                                     expected: "running", found: "missing"))
            case .start:
                let was = found.map { c in c.exitCode.map { "\(c.status.rawValue) (exit code \($0))" } ?? c.status.rawValue } ?? "not running"
                out.append(DriftItem(kind: .stopped, service: a.subject, subject: subject, what: "not running", expected: "running", found: was))
            case .replace:
                if a.changes.isEmpty {
                    out.append(DriftItem(kind: .changed, service: a.subject, subject: subject, what: a.cause,
                                         expected: services[a.subject].map { String($0.configHash.prefix(12)) },
                                         found: found.map { $0.configHash.isEmpty ? "no config hash" : String($0.configHash.prefix(12)) }))
                }
                for change in a.changes {
                    out.append(DriftItem(kind: .changed, service: a.subject, subject: subject, what: change.path,
                                         expected: change.new.map(ConfigChange.render) ?? "unset", found: change.old.map(ConfigChange.render) ?? "unset"))
                }
            case .updateLimits:
                guard let c = found, let s = services[a.subject] else { continue }
                for l in s.liveLimits.limitChanges(from: c.liveLimits) {
                    out.append(DriftItem(kind: .changed, service: a.subject, subject: subject, what: l.name, expected: l.new, found: l.old))
                }
            case .remove:
                out.append(DriftItem(kind: .changed, service: a.subject, subject: subject, what: "extra container (\(a.cause))",
                                     expected: "absent", found: found?.status.rawValue ?? "present"))
            case .createNetwork where a.cause == "new network":
                out.append(DriftItem(kind: .removed, subject: a.subject, what: "network missing", expected: "present", found: "missing"))
            case .createVolume:
                out.append(DriftItem(kind: .removed, subject: a.subject, what: "volume missing", expected: "present", found: "missing"))
            case .removeNetwork:
                out.append(DriftItem(kind: .changed, subject: a.subject, what: "network config changed"))
            case .createNetwork, .restart, .stop, .removeVolume:
                // A network re-created after its removal, a restart after a dependency's
                // replace: consequences of drift already reported. stop/removeVolume are never
                // planned against a revision (no --prune, no --no-start).
                continue
            }
        }
        return out
    }

    /// Tags the revision resolved that point elsewhere now. `recorded`: reference -> digest
    /// (the revision's images); `current`: reference -> the digest it resolves to now (nil: gone).
    public static func retagged(recorded: [String: String], current: [String: Digest?], services: [DesiredService]) -> [DriftItem] {
        var out: [DriftItem] = []
        for (ref, digest) in recorded.sorted(by: { $0.key < $1.key }) {
            guard let now = current[ref], now?.description != digest else { continue }
            let users = services.filter { $0.image == ref }.map(\.name).sorted()
            out.append(DriftItem(kind: .imageRetagged, service: users.first, subject: ref, what: "tag points to another image",
                                 expected: digest, found: now?.description ?? "missing"))
        }
        return out
    }

    /// Files the revision was applied from that differ now. `current`: path -> digest now (nil: gone).
    public static func editedFiles(recorded: [String: String], current: [String: String?]) -> [DriftItem] {
        recorded.sorted(by: { $0.key < $1.key }).compactMap { path, digest in
            guard let now = current[path], now != digest else { return nil }
            return DriftItem(kind: .specEdited, subject: path, what: now == nil ? "file removed" : "file edited",
                             expected: digest, found: now ?? "missing")
        }
    }
}
