import CNCBuild
import CNCBuilder
import CNCCore
import CNCSpec
import Foundation
import Testing
@testable import CNCAppCLI

/// cncapply's build step, its pure parts: the image a service's build is tagged with, the build
/// request a `build:` mapping makes (what `cnc build` would make from the same flags), and which
/// services an edit in `--watch` rebuilds.
@Suite struct ServiceBuildsTests {
    static func app(_ services: [String: ServiceSpec], name: String = "Shop") -> AppSpec {
        AppSpec(name: name, services: services)
    }

    static func built(_ context: String, image: String? = nil, dockerfile: String = "Dockerfile") -> ServiceSpec {
        var s = ServiceSpec()
        var b = BuildSpec(context: context)
        b.dockerfile = dockerfile
        s.build = b
        s.image = image.flatMap { try? ImageReference(parsing: $0) }
        return s
    }

    @Test func imageNames() throws {
        let app = Self.app(["Web": Self.built("/src/web"), "api": Self.built("/src/api", image: "reg.example/api:2"), "db": {
            var s = ServiceSpec(); s.image = try? ImageReference(parsing: "postgres:16"); return s
        }()])
        #expect(app.builtImageName(service: "Web")?.description == "docker.io/library/shop-web:latest")
        #expect(app.builtImageName(service: "api")?.description == "reg.example/api:2")
        #expect(app.builtImageName(service: "db") == nil)
        let named = app.namingBuiltImages()
        #expect(named.services["Web"]?.image?.description == "docker.io/library/shop-web:latest")
        #expect(named.services["api"]?.image?.description == "reg.example/api:2")
        #expect(named.services["db"]?.image?.description == "docker.io/library/postgres:16")
    }

    @Test func requestCarriesEveryBuildKey() throws {
        let dir = NSTemporaryDirectory() + "cnc-sb-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/web", withIntermediateDirectories: true)
        try "FROM scratch\nARG V\nCOPY . /\n".write(toFile: dir + "/web/Dockerfile.dev", atomically: true, encoding: .utf8)
        try "*.log\n".write(toFile: dir + "/web/.dockerignore", atomically: true, encoding: .utf8)
        var b = BuildSpec(context: dir + "/web")
        b.dockerfile = "Dockerfile.dev"
        b.args = ["V": "2"]
        b.target = "final"
        b.labels = ["team": "web"]
        b.tags = ["reg.example/web:2", "shop-web"]
        b.noCache = true
        b.network = "host"
        b.extraHosts = ["db=10.0.0.5"]
        b.shmSize = ByteSize(bytes: 1 << 20)
        b.pull = true
        let image = try ImageReference(parsing: "shop-web")
        let r = try ServiceBuilds.request(service: "web", build: b, image: image, projectDirectory: dir)
        #expect(r.dockerfile.path == "web/Dockerfile.dev")
        #expect(r.context == dir + "/web")
        #expect(r.arguments.values == ["V": "2"])
        #expect(r.target == "final")
        #expect(r.labels == ["team": "web"])
        #expect(r.tags.map(\.description) == ["docker.io/library/shop-web:latest", "reg.example/web:2"])
        #expect(r.noCache && r.pull && r.network == .host)
        #expect(r.extraHosts == ["db=10.0.0.5"] && r.shmSize == 1 << 20)
        #expect(r.ignore.excludes("x.log"))
        // dockerfile_inline wins the Dockerfile's place; a missing Dockerfile is docker's error.
        var inline = BuildSpec(context: dir + "/web")
        inline.dockerfileInline = "FROM scratch\n"
        #expect(try ServiceBuilds.request(service: "web", build: inline, image: image, projectDirectory: dir).dockerfile.path == "dockerfile_inline")
        let missing = BuildSpec(context: dir + "/web")
        #expect(throws: CNCError.self) { try ServiceBuilds.request(service: "web", build: missing, image: image, projectDirectory: dir) }
        #expect((try? ServiceBuilds.request(service: "web", build: BuildSpec(context: dir + "/nope"), image: image, projectDirectory: dir)) == nil)
    }

    @Test func watchRebuildsOnlyTheServicesAnEditTouches() {
        var other = Self.built("/src/tools", dockerfile: "/src/dockerfiles/tools.Dockerfile")
        other.build?.dockerfile = "/src/dockerfiles/tools.Dockerfile"
        let app = Self.app(["web": Self.built("/src/web"), "worker": Self.built("/src/web"), "tools": other])
        #expect(ServiceBuilds.affected(by: ["/src/web/server.c"], in: app) == ["web", "worker"])
        #expect(ServiceBuilds.affected(by: ["/src/dockerfiles/tools.Dockerfile"], in: app) == ["tools"])
        #expect(ServiceBuilds.affected(by: ["/src/tools/a.c", "/src/web/b.c"], in: app) == ["tools", "web", "worker"])
        // Anything else (the spec, an env file, a sibling directory's prefix) builds everything.
        #expect(ServiceBuilds.affected(by: ["/src/app.yaml"], in: app) == nil)
        #expect(ServiceBuilds.affected(by: ["/src/web2/x"], in: app) == nil)
        #expect(ServiceBuilds.affected(by: ["/src/web/x", "/src/.env"], in: app) == nil)
    }
}
