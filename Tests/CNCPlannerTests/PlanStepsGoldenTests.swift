import CNCCore
import CNCPlanner
import Foundation
import Testing

/// Golden steps: a replace shows, before it runs, the runtime calls start-first or stop-first
/// will make; and a saved plan round-trips through JSON as references.
@Suite struct PlanStepsGoldenTests {
    static let healthcheck: JSONValue = .object(["test": .array([.string("CMD"), .string("true")])])

    static func web(port: String, order: UpdatePolicy.Order, health: Bool = true, failure: UpdatePolicy.FailureAction = .pause,
                    monitor: CNCDuration = .zero) -> DesiredService {
        var s = PlannerGoldenTests.web(port: port)
        if health { s.sections["healthcheck"] = healthcheck }
        s.update = UpdatePolicy(order: order, failureAction: failure, monitor: monitor, gateTimeout: .seconds(30))
        return s
    }

    static func replacePlan(_ old: DesiredService, _ new: DesiredService) -> Plan {
        Planner.plan(desired: PlannerGoldenTests.app([new, PlannerGoldenTests.db()]),
                     observed: PlannerGoldenTests.observed(PlannerGoldenTests.app([old, PlannerGoldenTests.db()])))
    }

    @Test func startFirstRunsTheNewContainerBesideTheOldUntilItsGatePasses() {
        let plan = Self.replacePlan(Self.web(port: "80", order: .startFirst, failure: .rollback, monitor: .seconds(5)),
                                    Self.web(port: "8080", order: .startFirst, failure: .rollback, monitor: .seconds(5)))
        #expect(plan.text(steps: true) == """
        web: replace — environment.PORT "80" -> "8080"
          create shop-web-1-next
          start shop-web-1-next
          health gate shop-web-1-next: healthy within 30s, then running for 5s; on failure: remove it, roll back
          stop shop-web-1
          remove shop-web-1
          rename shop-web-1-next -> shop-web-1
        db: keep

        """)
        // The one-line text is unchanged: steps are shown where a plan is about to run.
        #expect(plan.text == "web: replace — environment.PORT \"80\" -> \"8080\"\ndb: keep\n")
        #expect(plan.actions[0].steps.map(\.container) == [.new, .new, .new, .existing, .existing, .new])
    }

    @Test func stopFirstFreesTheNameFirst() {
        let plan = Self.replacePlan(Self.web(port: "80", order: .stopFirst), Self.web(port: "8080", order: .stopFirst))
        #expect(plan.text(steps: true) == """
        web: replace — environment.PORT "80" -> "8080"
          stop shop-web-1
          remove shop-web-1
          create shop-web-1
          start shop-web-1
          health gate shop-web-1: healthy within 30s; on failure: stop the apply
        db: keep

        """)
    }

    @Test func withoutAHealthCheckOrMonitorThereIsNoGate() {
        let plan = Self.replacePlan(Self.web(port: "80", order: .stopFirst, health: false),
                                    Self.web(port: "8080", order: .stopFirst, health: false))
        #expect(plan.text(steps: true) == """
        web: replace — environment.PORT "80" -> "8080"
          stop shop-web-1
          remove shop-web-1
          create shop-web-1
          start shop-web-1
        db: keep

        """)
    }

    @Test func aGateThatCarriesOnKeepsTheNewContainer() {
        let plan = Self.replacePlan(Self.web(port: "80", order: .startFirst, failure: .continue),
                                    Self.web(port: "8080", order: .startFirst, failure: .continue))
        #expect(plan.actions[0].steps[2].line == "health gate shop-web-1-next: healthy within 30s; on failure: carry on")
    }

    @Test func otherActionsCarryTheirStepsButPrintOneLine() {
        let plan = Planner.plan(desired: PlannerGoldenTests.app([PlannerGoldenTests.web()]), observed: ObservedApp())
        #expect(plan.text(steps: true) == plan.text)
        #expect(plan.actions.map { $0.steps.map(\.line) } == [
            ["create-network default"], ["create-volume data"], ["create shop-web-1", "start shop-web-1"],
        ])
    }

    @Test func actionsCarryTheTypedObjects() throws {
        let app = PlannerGoldenTests.app([PlannerGoldenTests.web()])
        let plan = Planner.plan(desired: app, observed: ObservedApp())
        #expect(plan.actions[0].target?.network == app.networks[0])
        #expect(plan.actions[1].target?.volume == app.volumes[0])
        #expect(plan.actions[2].target?.service == app.services[0])
    }

    @Test func aSavedPlanHoldsReferencesAndReattachesToTheRecompiledSpec() throws {
        let old = Self.web(port: "80", order: .startFirst)
        let new = Self.web(port: "8080", order: .startFirst)
        let desired = PlannerGoldenTests.app([new, PlannerGoldenTests.db()])
        let plan = Self.replacePlan(old, new)
        let json = try CanonicalJSON.string(plan, pretty: true)
        // Only the name and config hash of the target go into JSON, never the spec itself.
        let tree = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        guard case .array(let actions)? = tree["actions"], let first = actions.first else {
            Issue.record("no actions in \(json)")
            return
        }
        #expect(first["target"] == .object([
            "kind": .string("service"), "name": .string("web"), "configHash": .string(new.configHash),
        ]))
        #expect(!json.contains("sections") && !json.contains("8080:80/tcp"))
        let decoded = try JSONDecoder().decode(Plan.self, from: Data(json.utf8))
        #expect(decoded.actions[0].target == .reference(.init(kind: .service, name: "web", configHash: new.configHash)))
        #expect(try CanonicalJSON.string(decoded, pretty: true) == json)
        #expect(try decoded.attaching(desired) == plan)
        // A spec that moved on no longer fits the saved plan.
        let moved = PlannerGoldenTests.app([Self.web(port: "9090", order: .startFirst), PlannerGoldenTests.db()])
        #expect(throws: CNCError.self) { try decoded.attaching(moved) }
    }
}

/// `--no-start`: containers are created (and replaced) without being started, and nothing waits
/// for one to start or become healthy.
@Suite struct NoStartStepsTests {
    @Test func createsAndReplacesWithoutStarting() {
        var web = PlannerGoldenTests.web()
        web.dependsOn = [Dependency(service: "db", condition: .healthy)]
        let app = PlannerGoldenTests.app([web, PlannerGoldenTests.db()])
        let plan = Planner.plan(desired: app, observed: ObservedApp(), options: PlanOptions(noStart: true))
        for a in plan.actions where a.kind == .create {
            #expect(a.steps.map(\.kind) == [.create], "\(a.line)")
            #expect(a.dependsOn.allSatisfy { $0.condition == .done }, "\(a.line)")
        }
        #expect(plan.actions.contains { $0.kind == .create && $0.subject == "web" })
    }
}
