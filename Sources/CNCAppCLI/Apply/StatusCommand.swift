import ArgumentParser
import CNCCore
import CNCEngine
import CNCPlanner
import CNCState

/// `cncapply status`: services, replicas, health, revision and drift.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show services, replicas, health, revision and drift.",
        discussion: """
        Exits 0 when the app runs as its last revision left it, 1 when the last revision failed, \
        a replica is missing or anything drifted (a container changed, stopped or removed by hand, \
        an image tag moved, a spec file edited), and 1 with an error for an app never applied.

        EXAMPLES
          cncapply status -p shop
          cncapply status -f app.yaml -o json
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text or json.")
    var output: ReportFormat = .text

    struct Service: Encodable { var name: String; var running: Int; var containers: Int; var desired: Int?; var health: String; var status: String }
    struct Report: Encodable {
        var project: String
        var revision: Int?
        var outcome: String?
        var services: [Service]
        /// How the host differs from the last successful revision (AppEngine.drift).
        var drift: [DriftItem]
        /// The revision drift was measured against (nil: none succeeded, or the app is down).
        var driftRevision: Int?
        /// With -f: the plan an apply of that spec would run (what `cncapply diff` prints).
        var pending: [String]?
    }

    func run() async throws {
        let target = try AppTarget.find(spec)
        let ctx = try AppContext.open(global)
        let last = try await ctx.state.revisions(project: target.project).last
        // Drift observes the app once (as a no-op apply's planning does); only an app without a
        // successful revision (or taken down) is observed here.
        let drift = try await ctx.engine.drift(project: target.project, tagger: ctx.images, recompile: { try ctx.recompile($0) })
        // With -f the pending plan needs every container's sections (observed in full).
        let observed: ObservedApp
        if let seen = drift?.observed, target.loaded == nil { observed = seen } else { observed = try await ctx.engine.observe(project: target.project) }
        guard last != nil || !observed.containers.isEmpty else {
            throw CNCError(.notFound, "no such app: \(target.project) (never applied on this root; cncapply ls -a lists the apps)")
        }
        let down = try await ctx.state.isDown(project: target.project)
        var desiredReplicas: [String: Int] = down ? [:] : last?.replicas ?? [:]
        var pending: [String]?
        if let loaded = target.loaded {
            let digests = ImageResolution.localDigests(for: loaded.app, store: ctx.images)
            let desired = try DesiredAppBuilder.build(loaded.app, imageDigests: digests)
            desiredReplicas = Dictionary(desired.services.map { ($0.name, $0.replicas) }, uniquingKeysWith: { a, _ in a })
            pending = Planner.plan(desired: desired, observed: observed).actions.map(\.line)
        }
        let names = Set(desiredReplicas.keys).union(observed.containers.map(\.service)).sorted()
        let services = names.map { name -> Service in
            let cs = observed.containers.filter { $0.service == name }
            let running = cs.filter { $0.status == .running }.count
            let healths = Set(cs.map(\.health.rawValue)).subtracting(["none"]).sorted()
            let statuses = Set(cs.map(\.status.rawValue)).sorted()
            return Service(name: name, running: running, containers: cs.count, desired: desiredReplicas[name], health: healths.joined(separator: ","),
                           status: statuses.joined(separator: ","))
        }
        let report = Report(project: target.project, revision: last?.number, outcome: last?.outcome.rawValue, services: services,
                            drift: drift?.items ?? [], driftRevision: drift?.revision, pending: pending)
        // For scripts and CI (as `kubectl diff` exits 1 on differences): non-zero when the last
        // revision failed, replicas are missing or anything drifted (not after `down`, which
        // removed them on purpose).
        let unhealthy = !down && (last.map { $0.outcome != .succeeded } ?? false
            || services.contains { s in s.desired.map { s.containers < $0 } ?? false } || !report.drift.isEmpty)
        if output == .json {
            print(try CanonicalJSON.string(report, pretty: true), terminator: "")
            if unhealthy { throw ExitCode(1) }
            return
        }
        let head = last.map { "\($0.number) (\($0.outcome.rawValue))" } ?? "none"
        print("\(target.project): " + (down ? "down (revision \(head) kept: cncapply history -p \(target.project))" : "revision \(head)"))
        var rows = [["SERVICE", "REPLICAS", "STATUS", "HEALTH"]]
        for s in services {
            rows.append([s.name, "\(s.running)/\(s.desired.map(String.init) ?? "-")", s.status.isEmpty ? "missing" : s.status,
                         s.health.isEmpty ? "-" : s.health])
        }
        if !services.isEmpty { print(Table.render(rows), terminator: "") }
        if let drift {
            print(drift.items.isEmpty ? "Drift: none (as revision \(drift.revision) left it)"
                : "Drift: \(drift.items.count) since revision \(drift.revision) (cncapply apply converges it)\n  "
                    + drift.items.map(\.line).joined(separator: "\n  "))
        }
        if let pending {
            print(pending.isEmpty ? "Pending: none (in sync with the spec)"
                : "Pending: \(pending.count) change(s) an apply of the spec would make\n  " + pending.joined(separator: "\n  "))
        }
        if unhealthy { throw ExitCode(1) }
    }
}
