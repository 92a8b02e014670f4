import CNCCore
import CNCSpec
import Foundation
import Testing
@testable import CNCExport

/// The Kubernetes mapping, fact by fact, on small specs.
@Suite struct KubernetesMappingTests {
    final class Spec {
        let dir = NSTemporaryDirectory() + "cnc-export-" + UUID().uuidString.lowercased()
        let loaded: LoadedSpec
        init(_ yaml: String) throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try yaml.write(toFile: dir + "/app.yaml", atomically: true, encoding: .utf8)
            loaded = try SpecLoader.load(SpecLoadOptions(files: ["app.yaml"], workingDirectory: dir))
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func export(_ options: ExportOptions = ExportOptions(target: .kubernetes)) throws -> ExportResult {
            try Exporter.export(loaded, options: options)
        }
    }

    static func object(_ r: ExportResult, _ file: String) -> JSONValue? { r.objects.first { $0.fileName == file }?.value }

    static func at(_ v: JSONValue?, _ path: String) -> JSONValue? {
        var cur = v
        for part in path.split(separator: ".") {
            if let i = Int(part), case .array(let a)? = cur { cur = a.indices.contains(i) ? a[i] : nil; continue }
            guard case .object(let o)? = cur else { return nil }
            cur = o[String(part)]
        }
        return cur
    }

    @Test func healthcheckIsReadinessLivenessAndStartup() throws {
        let s = try Spec("""
        name: t
        services:
          web:
            image: nginx
            healthcheck:
              test: ["CMD-SHELL", "curl -f http://localhost/"]
              interval: 10s
              timeout: 3s
              retries: 4
              start_period: 30s
              start_interval: 2s
        """)
        let c = Self.at(Self.object(try s.export(), "deployment-web.yaml"), "spec.template.spec.containers.0")
        for probe in ["readinessProbe", "livenessProbe"] {
            #expect(Self.at(c, "\(probe).exec.command") == .array([.string("/bin/sh"), .string("-c"), .string("curl -f http://localhost/")]))
            #expect(Self.at(c, "\(probe).periodSeconds") == .int(10))
            #expect(Self.at(c, "\(probe).timeoutSeconds") == .int(3))
            #expect(Self.at(c, "\(probe).failureThreshold") == .int(4))
        }
        #expect(Self.at(c, "startupProbe.periodSeconds") == .int(2))
        #expect(Self.at(c, "startupProbe.failureThreshold") == .int(15))
    }

    @Test(arguments: [("start-first", 1, 0), ("stop-first", 0, 1)])
    func updateOrderIsTheRollingUpdate(_ order: String, _ surge: Int64, _ unavailable: Int64) throws {
        let s = try Spec("name: t\nservices:\n  web:\n    image: nginx\n    deploy:\n      update_config:\n        order: \(order)\n")
        let d = Self.object(try s.export(), "deployment-web.yaml")
        #expect(Self.at(d, "spec.strategy.rollingUpdate.maxSurge") == .int(surge))
        #expect(Self.at(d, "spec.strategy.rollingUpdate.maxUnavailable") == .int(unavailable))
    }

    @Test func resourcesEntrypointCommandAndSecurity() throws {
        let s = try Spec("""
        name: t
        services:
          web:
            image: nginx
            entrypoint: ["/bin/app"]
            command: ["--port", "80"]
            cpus: 0.5
            mem_limit: 256m
            mem_reservation: 128m
            user: "1000:2000"
            cap_add: [NET_ADMIN]
            cap_drop: [ALL]
            read_only: true
            privileged: true
            tmpfs: ["/run:size=16m"]
        """)
        let c = Self.at(Self.object(try s.export(), "deployment-web.yaml"), "spec.template.spec.containers.0")
        #expect(Self.at(c, "command") == .array([.string("/bin/app")]))
        #expect(Self.at(c, "args") == .array([.string("--port"), .string("80")]))
        #expect(Self.at(c, "resources.limits.cpu") == .string("500m"))
        #expect(Self.at(c, "resources.limits.memory") == .string("256Mi"))
        #expect(Self.at(c, "resources.requests.memory") == .string("128Mi"))
        #expect(Self.at(c, "securityContext.runAsUser") == .int(1000))
        #expect(Self.at(c, "securityContext.runAsGroup") == .int(2000))
        #expect(Self.at(c, "securityContext.capabilities.add") == .array([.string("NET_ADMIN")]))
        #expect(Self.at(c, "securityContext.readOnlyRootFilesystem") == .bool(true))
        #expect(Self.at(c, "securityContext.privileged") == .bool(true))
        let pod = Self.at(Self.object(try s.export(), "deployment-web.yaml"), "spec.template.spec")
        #expect(Self.at(pod, "volumes.0.emptyDir.medium") == .string("Memory"))
        #expect(Self.at(pod, "volumes.0.emptyDir.sizeLimit") == .string("16Mi"))
    }

    @Test func globalIsADaemonSetAndOwnedVolumeWithReplicasAStatefulSet() throws {
        let s = try Spec("""
        name: t
        services:
          agent:
            image: busybox
            deploy: {mode: global}
          db:
            image: postgres
            volumes: [data:/var/lib/data]
            deploy: {replicas: 3}
        volumes:
          data: {}
        """)
        let r = try s.export()
        #expect(Self.object(r, "daemonset-agent.yaml") != nil)
        let st = Self.object(r, "statefulset-db.yaml")
        #expect(Self.at(st, "spec.replicas") == .int(3))
        #expect(Self.at(st, "spec.volumeClaimTemplates.0.metadata.name") == .string("data"))
        #expect(Self.object(r, "persistentvolumeclaim-data.yaml") == nil)
        #expect(r.losses.contains { $0.path == "services.db.volumes" && $0.why.contains("its own PersistentVolumeClaim") })
    }

    @Test func dependsOnWaitsForTheServiceAndPublishedPortsGetALoadBalancer() throws {
        let s = try Spec("""
        name: t
        services:
          api:
            image: nginx
            expose: ["8000"]
          web:
            image: nginx
            ports: ["8080:80"]
            depends_on:
              api: {condition: service_healthy}
        """)
        let r = try s.export()
        let wait = Self.at(Self.object(r, "deployment-web.yaml"), "spec.template.spec.initContainers.0")
        #expect(Self.at(wait, "name") == .string("wait-for-api"))
        guard case .string(let script)? = Self.at(wait, "command.2") else { Issue.record("no wait command"); return }
        #expect(script.contains("nc -z -w 2 api 8000"))
        #expect(Self.at(Self.object(r, "service-api.yaml"), "spec.ports.0.port") == .int(8000))
        let lb = Self.object(r, "service-web-published.yaml")
        #expect(Self.at(lb, "spec.type") == .string("LoadBalancer"))
        #expect(Self.at(lb, "spec.ports.0.port") == .int(8080))
        #expect(Self.at(lb, "spec.ports.0.targetPort") == .int(80))
        #expect(Self.object(r, "networkpolicy-published-web.yaml") != nil)
        #expect(Self.object(r, "networkpolicy-network-default.yaml") != nil)
    }

    @Test func lossesPointAtTheKeyAndNamespaceIsChecked() throws {
        let s = try Spec("name: t\nservices:\n  web:\n    image: nginx\n    cpu_shares: 512\n")
        let loss = try #require(try s.export().losses.first)
        #expect(loss.diagnostic(s.loaded.sourceMap).description == "app.yaml:5:17: services.web.cpu_shares: not exported to kubernetes: Kubernetes has no per-container setting for it")
        #expect(throws: CNCError.self) { try s.export(ExportOptions(target: .kubernetes, namespace: "Bad_NS")) }
        let r = try s.export(ExportOptions(target: .kubernetes, namespace: "prod"))
        #expect(Self.at(Self.object(r, "namespace-prod.yaml"), "metadata.name") == .string("prod"))
        #expect(Self.at(Self.object(r, "deployment-web.yaml"), "metadata.namespace") == .string("prod"))
    }

    @Test func imageRegistryRewritesLocalImagesAndPlansTheirPush() throws {
        let s = try Spec("name: t\nservices:\n  web:\n    image: myapp:1\n  db:\n    image: postgres:16\n")
        let local = try Digest("sha256:" + String(repeating: "a", count: 64))
        let inputs = ExportInputs(image: { $0.familiar == "myapp:1" ? StoredImage(manifestDigest: local) : nil })
        let r = try Exporter.export(s.loaded, options: ExportOptions(target: .swarm, imageRegistry: "localhost:5000"), inputs: inputs)
        guard case .object(let root)? = r.objects.first?.value else { Issue.record("no stack file"); return }
        #expect(Self.at(.object(root), "services.web.image") == .string("localhost:5000/myapp:1@\(local)"))
        #expect(Self.at(.object(root), "services.db.image") == .string("postgres:16"))
        #expect(r.pushes.map { $0.destination.description } == ["localhost:5000/myapp:1"])
        #expect(throws: CNCError.self) { try Exporter.export(s.loaded, options: ExportOptions(target: .swarm, imageRegistry: "host:5000/a:1")) }
    }
}

extension KubernetesMappingTests {
    /// Kubernetes expands `$(VAR)` and `$$` in command, args and env: the spec's text stays literal.
    @Test func dollarsStayLiteral() throws {
        let s = try Spec("name: t\nservices:\n  web:\n    image: nginx\n    command: [\"sh\", \"-c\", \"echo $$$$ $$(date)\"]\n    environment:\n      PRICE: \"$$5\"\n")
        let c = Self.at(Self.object(try s.export(), "deployment-web.yaml"), "spec.template.spec.containers.0")
        #expect(Self.at(c, "args.2") == .string("echo $$$$ $$(date)"))
        #expect(Self.at(c, "env.0.value") == .string("$$5"))
    }
}

extension KubernetesMappingTests {
    @Test func dnsrrIsAHeadlessServiceAndAppProtocolCarries() throws {
        let s = try Spec("""
        name: t
        services:
          web:
            image: nginx
            ports:
              - {target: 80, published: 8080, app_protocol: http, name: web}
            deploy: {endpoint_mode: dnsrr}
        """)
        let r = try s.export()
        let svc = Self.object(r, "service-web.yaml")
        #expect(Self.at(svc, "spec.clusterIP") == .string("None"))
        #expect(Self.at(svc, "spec.ports.0.appProtocol") == .string("http"))
        #expect(r.losses.map(\.path) == ["services.web.ports[0].name"])
    }
}
