@testable import CNCAppCLI
import Foundation
import Testing

/// The names shell completion offers come straight from a state root's files.
@Suite struct NameCompletionTests {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-complete-\(UUID().uuidString)").path
        let fm = FileManager.default
        for d in ["names", "networks/defs", "volumes/data", "volumes/cache", "images"] {
            try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        try fm.createSymbolicLink(atPath: root + "/names/web", withDestinationPath: "0123")
        try fm.createSymbolicLink(atPath: root + "/names/worker-1", withDestinationPath: "4567")
        try "{}".write(toFile: root + "/networks/defs/cnc.json", atomically: true, encoding: .utf8)
        try "{}".write(toFile: root + "/networks/defs/shop_back.json", atomically: true, encoding: .utf8)
        try """
            {"schemaVersion":2,"manifests":[
             {"digest":"sha256:00","annotations":{"org.opencontainers.image.ref.name":"docker.io/library/busybox:latest"}},
             {"digest":"sha256:01","annotations":{"org.opencontainers.image.ref.name":"localhost:5000/team/web:v2"}},
             {"digest":"sha256:02"}]}
            """.write(toFile: root + "/images/index.json", atomically: true, encoding: .utf8)
    }

    @Test func namesOfEachKind() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(NameCompletion.containers(root: root) == ["web", "worker-1"])
        #expect(NameCompletion.networks(root: root) == ["cnc", "shop_back"])
        #expect(NameCompletion.volumes(root: root) == ["cache", "data"])
        #expect(NameCompletion.images(root: root) == ["busybox:latest", "localhost:5000/team/web:v2"])
        #expect(NameCompletion.matching(NameCompletion.containers(root: root), "wo") == ["worker-1"])
        // A root without any of it completes nothing (and creates nothing).
        #expect(NameCompletion.containers(root: root + "/none").isEmpty)
        #expect(NameCompletion.images(root: root + "/none").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root + "/none"))
    }

    @Test func rootFromTheCommandLine() {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(NameCompletion.stateRoot(["cnc", "--root", "/tmp/a", "stop", ""]) == "/tmp/a")
        #expect(NameCompletion.stateRoot(["cnc", "stop", "--root=/tmp/b", ""]) == "/tmp/b")
    }

    @Test func servicesFromTheSpec() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spec = root + "/app.yaml"
        try "name: shop\nservices:\n  web:\n    image: busybox\n  db:\n    image: busybox\n".write(toFile: spec, atomically: true, encoding: .utf8)
        #expect(NameCompletion.services(words: ["cncapply", "logs", "-f", spec, ""]) == ["db", "web"])
        #expect(NameCompletion.services(words: ["cncapply", "logs", "-f", root + "/missing.yaml", ""]).isEmpty)
    }
}
