import CNCCore
import CNCPlanner
import Testing

/// Golden plans: desired x observed -> the exact plan text, one case per cause.
@Suite struct PlannerGoldenTests {
    static let d1 = try! Digest("sha256:" + String(repeating: "1a2b", count: 16))
    static let d2 = try! Digest("sha256:" + String(repeating: "3c4d", count: 16))

    static func web(port: String = "80", digest: Digest = d1, replicas: Int = 1, cpus: String? = nil) -> DesiredService {
        DesiredService(
            name: "web", replicas: replicas, image: "web:stable", imageDigest: digest,
            sections: ["environment": .object(["PORT": .string(port)]), "ports": .array([.string("8080:80/tcp")])],
            liveLimits: Self.limits(cpus: cpus), networks: ["default"])
    }

    static func limits(cpus: String?) -> CgroupLimits {
        var l = CgroupLimits()
        if let q = cpus.map({ try! CPUQuantity(parsing: $0) }) { l.cpuQuota = q.cfsQuota(); l.cpuPeriod = CgroupLimits.defaultCPUPeriod }
        return l
    }

    static func db() -> DesiredService {
        DesiredService(name: "db", image: "postgres:16", imageDigest: d2, sections: ["command": .array([.string("postgres")])],
                       networks: ["default"], volumes: ["data"])
    }

    static func app(_ services: [DesiredService]) -> DesiredApp {
        DesiredApp(project: "shop", services: services, networks: [DesiredNetwork(name: "default")],
                   volumes: [DesiredVolume(name: "data")])
    }

    /// What an apply of `app` leaves behind.
    static func observed(_ app: DesiredApp) -> ObservedApp {
        var containers: [ObservedContainer] = []
        for s in app.services {
            for r in 1...max(s.replicas, 1) where s.replicas > 0 {
                containers.append(.from(s, project: app.project, replica: r, id: "\(s.name)\(r)"))
            }
        }
        return ObservedApp(
            containers: containers, networks: app.networks.map { ObservedResource(name: $0.name, configHash: $0.configHash) },
            volumes: app.volumes.map { ObservedResource(name: $0.name, configHash: $0.configHash) },
            appliedReplicas: Dictionary(app.services.map { ($0.name, $0.replicas) }, uniquingKeysWith: { a, _ in a }))
    }

    @Test func firstApplyCreatesEverythingInDependencyOrder() {
        var web = Self.web()
        web.dependsOn = [Dependency(service: "db", condition: .healthy)]
        let plan = Planner.plan(desired: Self.app([web, Self.db()]), observed: ObservedApp())
        #expect(plan.text == """
        default: create-network — new network
        data: create-volume — new volume
        db: create — new service
        web: create — new service

        """)
        // web waits for db to be healthy and for the network; db waits for network and volume.
        #expect(plan.actions[3].dependsOn == [.init(action: 0, condition: .done), .init(action: 2, condition: .healthy)])
        #expect(plan.actions[2].dependsOn == [.init(action: 0, condition: .done), .init(action: 1, condition: .done)])
    }

    @Test func secondApplyOfSameSpecPlansNothing() {
        let app = Self.app([Self.web(), Self.db()])
        let plan = Planner.plan(desired: app, observed: Self.observed(app))
        #expect(plan.isEmpty)
        #expect(plan.text == "db: keep\nweb: keep\n")
    }

    @Test func environmentChangeNamesTheKey() {
        let old = Self.app([Self.web(port: "80"), Self.db()])
        let plan = Planner.plan(desired: Self.app([Self.web(port: "8080"), Self.db()]), observed: Self.observed(old))
        #expect(plan.text == """
        web: replace — environment.PORT "80" -> "8080"
        db: keep

        """)
        #expect(plan.actions[0].containerID == "web1")
        #expect(plan.actions[0].changes == [ConfigChange(path: "environment.PORT", old: .string("80"), new: .string("8080"))])
    }

    @Test func imageDigestChange() {
        let old = Self.app([Self.web(digest: Self.d1)])
        let plan = Planner.plan(desired: Self.app([Self.web(digest: Self.d2)]), observed: Self.observed(old))
        #expect(plan.text == "web: replace — image web:stable sha256:1a2b1a2b1a2b -> sha256:3c4d3c4d3c4d\n")
    }

    /// A built service's new digest is a rebuild, and says which build inputs changed when known.
    @Test func rebuiltImageSaysSo() {
        let old = Self.app([Self.web(digest: Self.d1)])
        var web = Self.web(digest: Self.d2)
        web.built = true
        #expect(Planner.plan(desired: Self.app([web]), observed: Self.observed(old)).text
            == "web: replace — image rebuilt sha256:1a2b1a2b1a2b -> sha256:3c4d3c4d3c4d\n")
        web.buildChanges = ["server.c"]
        #expect(Planner.plan(desired: Self.app([web]), observed: Self.observed(old)).text
            == "web: replace — build context changed: server.c; image rebuilt sha256:1a2b1a2b1a2b -> sha256:3c4d3c4d3c4d\n")
        web.buildChanges = ["a", "b", "c", "d", "e"]
        #expect(Planner.plan(desired: Self.app([web]), observed: Self.observed(old)).text
            == "web: replace — build context changed: a, b, c (+2 more); image rebuilt sha256:1a2b1a2b1a2b -> sha256:3c4d3c4d3c4d\n")
        // The same digest is no change, built or not.
        #expect(Planner.plan(desired: Self.app([{ var w = Self.web(digest: Self.d1); w.built = true; return w }()]), observed: Self.observed(old)).text
            == "web: keep\n")
    }

    @Test func removedServiceWarnsWithoutPruneAndRemovesWithIt() {
        let old = Self.app([Self.web(), Self.db()])
        let new = Self.app([Self.web()])
        let plain = Planner.plan(desired: new, observed: Self.observed(old))
        #expect(plain.isEmpty)
        #expect(plain.text == "web: keep\nwarning: orphan containers of services not in the spec: db (use --prune to remove them)\n")
        let pruned = Planner.plan(desired: new, observed: Self.observed(old), options: PlanOptions(prune: true))
        #expect(pruned.text == "db: remove — not in spec (--prune)\nweb: keep\n")
    }

    @Test func scaleUpAndDownNeverRecreates() {
        let one = Self.app([Self.web(replicas: 1)])
        let three = Self.app([Self.web(replicas: 3)])
        // Replicas are not part of the config hash.
        #expect(Self.web(replicas: 1).configHash == Self.web(replicas: 3).configHash)
        #expect(Planner.plan(desired: three, observed: Self.observed(one)).text == """
        web: create [2] — scale 1 -> 3
        web: create [3] — scale 1 -> 3

        """)
        #expect(Planner.plan(desired: one, observed: Self.observed(three)).text == """
        web: remove [2] — scale 3 -> 1
        web: remove [3] — scale 3 -> 1

        """)
    }

    @Test func liveLimitsUpdateInPlace() {
        let old = Self.app([Self.web(cpus: "0.5")])
        let plan = Planner.plan(desired: Self.app([Self.web(cpus: "1")]), observed: Self.observed(old))
        #expect(plan.text == "web: update-limits — cpus 0.5 -> 1 (in place)\n")
        #expect(Self.web(cpus: "0.5").configHash == Self.web(cpus: "1").configHash)
    }

    @Test func stoppedContainerStartsUnlessNoStart() {
        let app = Self.app([Self.web()])
        var obs = Self.observed(app)
        obs.containers[0].status = .exited
        obs.containers[0].exitCode = 1
        #expect(Planner.plan(desired: app, observed: obs).text == "web: start — not running (exited, exit code 1)\n")
        #expect(Planner.plan(desired: app, observed: obs, options: PlanOptions(noStart: true)).text == "web: keep\n")
    }

    @Test func driftContainerRemovedBehindOurBack() {
        let app = Self.app([Self.web()])
        var obs = Self.observed(app)
        obs.containers.removeAll()
        #expect(Planner.plan(desired: app, observed: obs).text == "web: create — container missing (removed outside cnc)\n")
    }

    @Test func forceRecreate() {
        let app = Self.app([Self.web()])
        #expect(Planner.plan(desired: app, observed: Self.observed(app), options: PlanOptions(forceRecreate: true)).text
            == "web: replace — --force-recreate\n")
    }

    @Test func dependentRestartsWhenDependencyReplaced() {
        var web = Self.web()
        web.dependsOn = [Dependency(service: "db", condition: .started, restart: true)]
        let old = Self.app([web, Self.db()])
        var newDB = Self.db()
        newDB.sections["command"] = .array([.string("postgres"), .string("-c"), .string("fsync=off")])
        let plan = Planner.plan(desired: Self.app([web, newDB]), observed: Self.observed(old))
        #expect(plan.text == """
        db: replace — command ["postgres"] -> ["postgres","-c","fsync=off"]
        web: restart — dependency db replaced

        """)
        #expect(plan.actions[1].dependsOn == [.init(action: 0, condition: .started)])
    }

    @Test func configFileContentChangeReplacesItsUsers() {
        var web = Self.web()
        web.sections["files"] = .object(["config:nginx": .string("sha256:aaa")])
        let old = Self.app([web])
        web.sections["files"] = .object(["config:nginx": .string("sha256:bbb")])
        #expect(Planner.plan(desired: Self.app([web]), observed: Self.observed(old)).text
            == "web: replace — files.config:nginx \"sha256:aaa\" -> \"sha256:bbb\"\n")
    }

    @Test func sectionHashesNameTheCauseWithoutASnapshot() {
        let old = Self.app([Self.web(port: "80")])
        var obs = Self.observed(old)
        obs.containers[0].appliedSections = nil
        #expect(Planner.plan(desired: Self.app([Self.web(port: "81")]), observed: obs).text
            == "web: replace — config changed: environment\n")
        obs.containers[0].sectionHashes = [:]
        let text = Planner.plan(desired: Self.app([Self.web(port: "81")]), observed: obs).text
        #expect(text.hasPrefix("web: replace — config hash "))
    }

    @Test func addedAndRemovedKeysAndMoreCount() {
        let old = Self.app([Self.web()])
        var web = Self.web()
        web.sections["environment"] = .object(["DEBUG": .string("1")])
        web.sections["user"] = .string("nobody")
        let plan = Planner.plan(desired: Self.app([web]), observed: Self.observed(old))
        #expect(plan.text == "web: replace — environment.DEBUG added \"1\" (+2 more)\n")
        #expect(plan.actions[0].changes.map(\.description) == [
            "environment.DEBUG added \"1\"", "environment.PORT removed (was \"80\")", "user added \"nobody\"",
        ])
    }

    @Test func networkConfigChangeRecreatesNetworkAndItsContainers() {
        let old = Self.app([Self.web()])
        var new = old
        new.networks = [DesiredNetwork(name: "default", config: .object(["internal": .bool(true)]))]
        let plan = Planner.plan(desired: new, observed: Self.observed(old))
        // A network with endpoints cannot go: its containers are removed first and created
        // again on the new network (a replace, start-first or not, would hold the old one).
        #expect(plan.text == """
        web: remove — network default recreated
        default: remove-network — config changed (recreated)
        default: create-network — config changed
        web: create — network default recreated

        """)
        let (remove, removeNet, createNet, create) = (plan.actions[0], plan.actions[1], plan.actions[2], plan.actions[3])
        #expect(removeNet.dependsOn.map(\.action) == [remove.id])
        #expect(createNet.dependsOn.map(\.action) == [removeNet.id])
        #expect(create.dependsOn.map(\.action).contains(createNet.id))
    }

    @Test func pruneVolumesOnlyWhenAsked() {
        let old = Self.app([Self.web(), Self.db()])
        var new = Self.app([Self.web()])
        new.volumes = []
        let prune = Planner.plan(desired: new, observed: Self.observed(old), options: PlanOptions(prune: true))
        #expect(prune.text == "db: remove — not in spec (--prune)\nweb: keep\n")
        let all = Planner.plan(desired: new, observed: Self.observed(old), options: PlanOptions(prune: true, pruneVolumes: true))
        #expect(all.text == "db: remove — not in spec (--prune)\ndata: remove-volume — not in spec (--prune-volumes)\nweb: keep\n")
    }

    @Test func planIsDeterministicAndFingerprintTracksObserved() throws {
        let app = Self.app([Self.web(), Self.db()])
        let obs = Self.observed(app)
        let a = Planner.plan(desired: app, observed: obs)
        let b = Planner.plan(desired: app, observed: obs)
        #expect(try CanonicalJSON.encode(a) == CanonicalJSON.encode(b))
        var changed = obs
        changed.containers[0].status = .exited
        #expect(Planner.plan(desired: app, observed: changed).observedFingerprint != a.observedFingerprint)
    }
}

@Suite struct PlannerRecoveryTests {
    @Test func duplicateReplicaFromInterruptedStartFirstIsRemoved() {
        let web = PlannerGoldenTests.web()
        let app = PlannerGoldenTests.app([web])
        var obs = PlannerGoldenTests.observed(app)
        var next = ObservedContainer.from(web, project: "shop", replica: 1, id: "next1")
        next.name = "shop-web-1-next"
        obs.containers.insert(next, at: 0)
        #expect(Planner.plan(desired: app, observed: obs).text == "web: remove [1] — duplicate of replica 1 left by an interrupted update\n")
    }
}

@Suite struct PlannerRecoveryOrderTests {
    @Test func replacementWaitsForTheDuplicateToGo() {
        let old = PlannerGoldenTests.web(port: "80")
        var obs = PlannerGoldenTests.observed(PlannerGoldenTests.app([old]))
        var next = ObservedContainer.from(old, project: "shop", replica: 1, id: "next1")
        next.name = "shop-web-1-next"
        obs.containers.append(next)
        let plan = Planner.plan(desired: PlannerGoldenTests.app([PlannerGoldenTests.web(port: "81")]), observed: obs)
        #expect(plan.text == "web: remove [1] — duplicate of replica 1 left by an interrupted update\nweb: replace — environment.PORT \"80\" -> \"81\"\n")
        #expect(plan.actions[1].dependsOn.contains(ActionDependency(action: 0, condition: .done)))
    }
}
