import CNCCore
import CNCSpec
import Foundation
import Testing
@testable import CNCExport

/// `build:` services exported as the image cnc built (pinned, rewritten, pushed), and labels
/// that go somewhere or are reported: deploy.labels, network labels, values Kubernetes refuses.
@Suite struct BuildAndLabelsExportTests {
    typealias K = KubernetesMappingTests
    static let digest = try! Digest("sha256:" + String(repeating: "b", count: 64))

    static let built = """
    name: shop
    services:
      web:
        build: .
        pull_policy: build
      api:
        image: team/api:2
        build: {context: .}

    """

    /// The store after `cncapply export` built the two images.
    static let store = ExportInputs(image: { ["shop-web:latest", "team/api:2"].contains($0.familiar) ? StoredImage(manifestDigest: digest) : nil })

    @Test func builtServicesAreTheirBuiltImagesPinnedAndBuildIsReported() throws {
        let s = try K.Spec(Self.built)
        let r = try Exporter.export(s.loaded, options: ExportOptions(target: .kubernetes), inputs: Self.store)
        #expect(K.at(K.object(r, "deployment-web.yaml"), "spec.template.spec.containers.0.image") == .string("shop-web:latest@\(Self.digest)"))
        #expect(K.at(K.object(r, "deployment-api.yaml"), "spec.template.spec.containers.0.image") == .string("team/api:2@\(Self.digest)"))
        let lines = r.losses.map { $0.diagnostic(s.loaded.sourceMap).description }.sorted()
        #expect(lines == [
            "app.yaml:3:3: services.web.image: not exported to kubernetes: shop-web:latest is built here, so the nodes cannot pull it: --image-registry REG --push puts it where they can",
            "app.yaml:7:12: services.api.image: not exported to kubernetes: team/api:2 is built here, so the nodes cannot pull it: --image-registry REG --push puts it where they can",
            "app.yaml:5:18: services.web.pull_policy: not exported to kubernetes: a cluster does not build images",
            "app.yaml:8:5: services.api.build: not exported to kubernetes: a cluster does not build images: exported as the image cnc built, team/api:2@\(Self.digest)",
            "app.yaml:4:12: services.web.build: not exported to kubernetes: a cluster does not build images: exported as the image cnc built, shop-web:latest@\(Self.digest)",
        ].sorted(), "\(lines)")
    }

    @Test func swarmGetsTheBuiltImageRewrittenAndPushedAndComposeKeepsBuild() throws {
        let s = try K.Spec(Self.built)
        let r = try Exporter.export(s.loaded, options: ExportOptions(target: .swarm, imageRegistry: "localhost:5000"), inputs: Self.store)
        let stack = r.objects.first?.value
        #expect(K.at(stack, "services.web.image") == .string("localhost:5000/shop-web:latest@\(Self.digest)"))
        #expect(K.at(stack, "services.web.build") == nil)
        #expect(r.pushes.map { "\($0.source.familiar) -> \($0.destination.description)" }
                == ["shop-web:latest -> localhost:5000/shop-web:latest", "team/api:2 -> localhost:5000/team/api:2"])
        #expect(r.losses.contains { $0.path == "services.web.build" && $0.why.hasPrefix("docker stack deploy does not build images") })
        // Pushed where the nodes pull from: nothing to say about pulling it.
        #expect(!r.losses.contains { $0.path.hasSuffix(".image") })
        // Compose builds: build: stays, image: stays as written (a digest cannot be a build's tag).
        let c = try Exporter.export(s.loaded, options: ExportOptions(target: .compose), inputs: Self.store).objects.first?.value
        #expect(K.at(c, "services.api.image") == .string("team/api:2"))
        #expect(K.at(c, "services.web.build.context") == .string(s.dir))
        #expect(K.at(c, "services.web.image") == nil)
    }

    @Test func anUnbuiltImageIsAClearError() throws {
        let s = try K.Spec(Self.built)
        #expect(throws: CNCError.self) { try s.export() }
        do { _ = try s.export() } catch let e as CNCError {
            #expect(e.message == "services.api.build: image team/api:2 is not built: build it (cncapply export builds it) before exporting")
        }
    }

    @Test func deployAndNetworkLabelsCarryOrAreReported() throws {
        let s = try K.Spec("""
        name: t
        services:
          web:
            image: nginx
            labels: {tier: front, note: "two words"}
            deploy:
              labels: {team: shop, "com.example/desc": "not a label value!"}
            networks: [back]
        networks:
          back:
            labels: {zone: a, "bad key/x/y": v}
        """)
        let r = try s.export()
        let d = K.object(r, "deployment-web.yaml")
        #expect(K.at(d, "metadata.labels.team") == .string("shop"))
        #expect(K.at(d, "metadata.labels.tier") == .string("front"))
        guard case .object(let ann)? = K.at(d, "metadata.annotations") else { Issue.record("no annotations"); return }
        #expect(ann["com.example/desc"] == .string("not a label value!"))
        #expect(ann["note"] == .string("two words"))
        // deploy.labels label the workload, not its pods.
        #expect(K.at(d, "spec.template.metadata.labels.team") == nil)
        #expect(K.at(d, "spec.template.metadata.labels.tier") == .string("front"))
        let p = K.object(r, "networkpolicy-network-back.yaml")
        #expect(K.at(p, "metadata.labels.zone") == .string("a"))
        let lines = r.losses.map { $0.diagnostic(s.loaded.sourceMap).description }.sorted()
        #expect(lines == [
            "app.yaml:11:38: networks.back.labels.bad key/x/y: not exported to kubernetes: \"bad key/x/y\" is not a valid label name: kept as an annotation, which selectors cannot match",
            "app.yaml:5:33: services.web.labels.note: not exported to kubernetes: the value \"two words\" is not a valid label value (at most 63 of A-Z, a-z, 0-9, '-', '_', '.', alphanumeric at both ends): kept as an annotation, which selectors cannot match",
            "app.yaml:7:48: services.web.deploy.labels.com.example/desc: not exported to kubernetes: the value \"not a label value!\" is not a valid label value (at most 63 of A-Z, a-z, 0-9, '-', '_', '.', alphanumeric at both ends): kept as an annotation, which selectors cannot match",
        ].sorted(), "\(lines)")
        // Swarm and Compose carry deploy.labels and network labels as they are.
        let stack = try s.export(ExportOptions(target: .swarm)).objects.first?.value
        #expect(K.at(stack, "services.web.deploy.labels.team") == .string("shop"))
        #expect(K.at(stack, "networks.back.labels.zone") == .string("a"))
    }

    @Test(arguments: [1, 2])
    func volumeLabelsLabelTheClaimOrAreReported(_ replicas: Int) throws {
        let s = try K.Spec("""
        name: t
        services:
          db:
            image: postgres
            deploy: {replicas: \(replicas)}
            volumes: ["data:/var/lib/data"]
        volumes:
          data:
            labels: {tier: db, note: "kept on the host"}
        """)
        let r = try s.export()
        // One replica: a PersistentVolumeClaim; two: the StatefulSet's claim template.
        let meta = replicas == 1 ? K.at(K.object(r, "persistentvolumeclaim-data.yaml"), "metadata")
                                 : K.at(K.object(r, "statefulset-db.yaml"), "spec.volumeClaimTemplates.0.metadata")
        #expect(K.at(meta, "labels.tier") == .string("db"))
        #expect(K.at(meta, "annotations.note") == .string("kept on the host"))
        #expect(r.losses.contains { $0.path == "volumes.data.labels.note" && $0.why.hasSuffix("kept as an annotation, which selectors cannot match") })
    }

    @Test func deployLabelsDoNotChangeTheConfigHash() throws {
        let a = try K.Spec("name: t\nservices:\n  web:\n    image: nginx\n")
        let b = try K.Spec("name: t\nservices:\n  web:\n    image: nginx\n    deploy:\n      labels: [team=shop]\n")
        #expect(b.loaded.app.services["web"]?.deploy.labels == ["team": "shop"])
        #expect(try a.loaded.app.services["web"]?.configHashInput() == b.loaded.app.services["web"]?.configHashInput())
    }
}
