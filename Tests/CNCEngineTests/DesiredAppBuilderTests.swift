import CNCCore
import CNCEngine
import CNCPlanner
import CNCSpec
import Foundation
import Testing

@Suite struct DesiredAppBuilderTests {
    static func load(_ yaml: String, dir: String = "/tmp") throws -> AppSpec {
        try SpecLoader.load(SpecLoadOptions(files: ["-"], stdin: Array(yaml.utf8), projectName: "t", environment: [:],
                                            workingDirectory: dir)).app
    }

    static func spec(port: String = "80", cpus: String = "0.5", replicas: Int = 1, extra: String = "") -> String {
        """
        services:
          web:
            image: web:stable
            environment:
              PORT: "\(port)"
            cpus: \(cpus)
            mem_limit: 64m
            deploy:
              replicas: \(replicas)
        \(extra)
        """
    }

    static func plan(_ old: String, _ new: String) throws -> String {
        let a = try DesiredAppBuilder.build(load(old))
        let b = try DesiredAppBuilder.build(load(new))
        var observed = ObservedApp(appliedReplicas: Dictionary(a.services.map { ($0.name, $0.replicas) }, uniquingKeysWith: { x, _ in x }))
        for s in a.services { for r in 1...s.replicas { observed.containers.append(.from(s, project: a.project, replica: r, id: "\(s.name)\(r)")) } }
        observed.networks = a.networks.map { ObservedResource(name: $0.name, configHash: $0.configHash) }
        return Planner.plan(desired: b, observed: observed).text
    }

    /// Networks and volumes are hashed from their own trees: those must be exactly their entries
    /// in the whole app's tree (what earlier builds hashed), or every existing network would
    /// look changed and be recreated by the next apply.
    @Test func networkAndVolumeConfigsAreTheirEntriesInTheAppTree() throws {
        let app = try Self.load(Self.spec(extra: """
        networks:
          front: {}
          back:
            internal: true
            driver_opts: {mtu: "1400"}
            ipam: {config: [{subnet: 10.77.0.0/24, gateway: 10.77.0.1}]}
            labels: {tier: back}
        volumes:
          data: {}
          logs:
            name: shared-logs
            labels: {keep: "yes"}
        """))
        let tree = try app.jsonValue()
        let desired = try DesiredAppBuilder.build(app)
        #expect(desired.networks.map(\.name) == ["back", "default", "front"])
        for n in desired.networks { #expect(n.config == tree["networks"]?[n.name]) }
        #expect(desired.volumes.map(\.name) == ["data", "logs"])
        for v in desired.volumes { #expect(v.config == tree["volumes"]?[v.name]) }
        #expect(desired.networks.first { $0.name == "back" }?.config["internal"] == .bool(true))
    }

    @Test func sameSpecPlansNothing() throws {
        #expect(try Self.plan(Self.spec(), Self.spec()) == "web: keep\n")
    }

    @Test func environmentChangeReplacesNamingTheKey() throws {
        #expect(try Self.plan(Self.spec(port: "80"), Self.spec(port: "8080")) == "web: replace — environment.PORT \"80\" -> \"8080\"\n")
    }

    @Test func cpuChangeUpdatesInPlace() throws {
        #expect(try Self.plan(Self.spec(cpus: "0.5"), Self.spec(cpus: "1")) == "web: update-limits — cpus 0.5 -> 1 (in place)\n")
    }

    @Test func scalingNeverRecreates() throws {
        #expect(try Self.plan(Self.spec(replicas: 1), Self.spec(replicas: 2)) == "web: create [2] — scale 1 -> 2\n")
    }

    @Test func configFileContentChangeReplaces() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-builder-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let conf = dir + "/nginx.conf"
        try "a".write(toFile: conf, atomically: true, encoding: .utf8)
        let yaml = """
        services:
          web:
            image: web:stable
            configs: [site]
        configs:
          site:
            file: \(conf)
        """
        let before = try DesiredAppBuilder.build(Self.load(yaml, dir: dir))
        try "b".write(toFile: conf, atomically: true, encoding: .utf8)
        let after = try DesiredAppBuilder.build(Self.load(yaml, dir: dir))
        let observed = ObservedApp(containers: [.from(before.services[0], project: "t", id: "w1")],
                                   networks: before.networks.map { ObservedResource(name: $0.name, configHash: $0.configHash) },
                                   appliedReplicas: ["web": 1])
        let text = Planner.plan(desired: after, observed: observed).text
        #expect(text.hasPrefix("web: replace — files.config:site \"sha256:ca978112ca1b"))
    }

    @Test func digestsAndPolicies() throws {
        let d = try Digest("sha256:" + String(repeating: "ab", count: 32))
        let app = try DesiredAppBuilder.build(Self.load("""
        services:
          web:
            image: web:stable
            depends_on:
              db: {condition: service_healthy, restart: true}
            deploy:
              update_config: {order: start-first, failure_action: rollback, monitor: 2s}
          db:
            image: db
        """), imageDigests: ["docker.io/library/web:stable": d])
        let web = try #require(app.services.first { $0.name == "web" })
        #expect(web.imageDigest == d)
        #expect(web.dependsOn == [Dependency(service: "db", condition: .healthy, restart: true)])
        #expect(web.update.order == .startFirst && web.update.failureAction == .rollback && web.update.monitor == .seconds(2))
        #expect(app.services.first { $0.name == "db" }?.update.monitor == .zero)
        #expect(web.networks == ["default"])
    }
}
