import CNCCore
import Foundation
import Testing
@testable import CNCSpec

/// A temp directory holding spec files, removed after the test.
final class SpecDir {
    let path: String

    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "cnc-spec-test-" + UUID().uuidString.lowercased()
        for (name, text) in files {
            let full = path + "/" + name
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func load(_ files: [String] = ["app.yaml"], project: String? = nil, env: [String: String] = [:], envFiles: [String] = []) throws(SpecErrors) -> LoadedSpec {
        try SpecLoader.load(SpecLoadOptions(files: files, projectName: project, envFiles: envFiles, environment: env, workingDirectory: path))
    }
}

@Suite struct SpecLoaderTests {
    @Test(arguments: [
        ("80", [PortSpec(target: 80)]),
        ("8080:80", [port(80, "8080")]),
        ("127.0.0.1:8080:80/udp", [port(80, "8080", ip: "127.0.0.1", proto: .udp)]),
        ("127.0.0.1::80", [port(80, nil, ip: "127.0.0.1")]),
        ("[::1]:53:53/udp", [port(53, "53", ip: "::1", proto: .udp)]),
        ("9000-9001:80-81", [port(80, "9000"), port(81, "9001")]),
        ("8000-8010:80", [port(80, "8000-8010")]),
    ])
    func shortPortSyntax(_ text: String, _ expected: [PortSpec]) throws {
        #expect(try SpecReader.parseShortPort(text).get() == expected)
    }

    @Test(arguments: ["", "a:80", "80:0", "70000:80", "1:2:3:4", "80/icmp", "9000-9002:80-81", "[::1:80:80", "300.0.0.1:80:80"])
    func badShortPorts(_ text: String) {
        #expect(throws: (any Error).self) { try SpecReader.parseShortPort(text).get() }
    }

    @Test func projectNameRules() throws {
        let dir = try SpecDir(["My_App.Dir/app.yaml": "services: {web: {image: nginx}}\n",
                               "named/app.yaml": "name: chosen\nservices: {web: {image: nginx}}\n"])
        #expect(try dir.load(["My_App.Dir/app.yaml"]).app.name == "my_appdir")
        #expect(try dir.load(["My_App.Dir/app.yaml"], project: "given").app.name == "given")
        #expect(try dir.load(["named/app.yaml"], project: "given").app.name == "chosen")
        #expect(throws: SpecErrors.self) { try dir.load(["My_App.Dir/app.yaml"], project: "Bad Name") }
    }

    @Test func overrideFilesMergeByComposeRules() throws {
        let dir = try SpecDir([
            "app.yaml": """
            services:
              web:
                image: nginx
                command: ["a", "b"]
                environment: {A: "1", B: "2"}
                labels: ["x=1"]
                ports: ["8080:80"]
                volumes: ["./a:/data", "./c:/cache"]
                cap_add: [NET_ADMIN]
            """,
            "prod.yaml": """
            services:
              web:
                image: nginx:1.27
                command: ["c"]
                environment: ["B=20", "C=3"]
                labels: {y: "2"}
                ports: ["8443:443"]
                volumes: ["./b:/data"]
                cap_add: [SYS_TIME]
            """,
        ])
        let s = try #require(try dir.load(["app.yaml", "prod.yaml"]).app.services["web"])
        #expect(s.image?.description == "docker.io/library/nginx:1.27")
        #expect(s.command == ["c"])
        #expect(s.environment == ["A": "1", "B": "20", "C": "3"])
        #expect(s.labels == ["x": "1", "y": "2"])
        #expect(s.ports.map(\.target) == [80, 443])
        #expect(s.volumes.map(\.source) == [dir.path + "/b", dir.path + "/c"])
        #expect(s.capAdd == ["NET_ADMIN", "SYS_TIME"])
    }

    @Test func dotEnvBesideTheFirstFileAndEnvFileAndEnvironment() throws {
        let dir = try SpecDir([
            "app.yaml": "services: {web: {image: \"nginx:${TAG}\", environment: {P: \"${PORT:-1}\", H: $FROM_ENV}}}\n",
            ".env": "TAG=1.25\nPORT=80\n",
            "other.env": "TAG=1.27\n",
        ])
        let a = try #require(try dir.load(env: ["FROM_ENV": "x"]).app.services["web"])
        #expect(a.image?.tag == "1.25")
        #expect(a.environment["P"] == "80")
        #expect(a.environment["H"] == "x")
        // --env-file replaces .env; the process environment wins over both.
        let b = try #require(try dir.load(envFiles: ["other.env"]).app.services["web"])
        #expect(b.image?.tag == "1.27")
        #expect(b.environment["P"] == "1")
        let c = try #require(try dir.load(env: ["TAG": "9"]).app.services["web"])
        #expect(c.image?.tag == "9")
    }

    @Test func includeResolvesRelativeToTheIncludedFile() throws {
        let dir = try SpecDir([
            "app.yaml": "include: [sub/db.yaml]\nservices: {web: {image: nginx, depends_on: [db]}}\n",
            "sub/db.yaml": "services: {db: {image: postgres, volumes: [\"./init:/init\"]}}\n",
        ])
        let app = try dir.load().app
        #expect(app.services["db"]?.volumes.first?.source == dir.path + "/sub/init")
        #expect(app.services["web"]?.dependsOn["db"] != nil)
    }

    @Test func includeCyclesAreErrors() throws {
        let dir = try SpecDir(["app.yaml": "include: [b.yaml]\nservices: {web: {image: nginx}}\n",
                               "b.yaml": "include: [app.yaml]\nservices: {db: {image: nginx}}\n"])
        #expect { try dir.load() } throws: { ($0 as? SpecErrors)?.description.contains("include cycle") ?? false }
    }

    @Test(arguments: [("systemd", CgroupDriverSetting.systemd), ("cgroupfs", .cgroupfs), ("auto", .auto)])
    func cgroupDriverIsHonoured(_ text: String, _ driver: CgroupDriverSetting) throws {
        let loaded = try SpecLoader.load(SpecLoadOptions(files: ["-"], stdin: Array("x-cnc: {cgroup_driver: \(text)}\nservices: {web: {image: nginx}}\n".utf8),
                                                         projectName: "drv", workingDirectory: "/tmp"))
        #expect(loaded.app.cnc.cgroupDriver == driver)
    }

    @Test func stdinIsADash() throws {
        let loaded = try SpecLoader.load(SpecLoadOptions(files: ["-"], stdin: Array("services: {web: {image: nginx}}\n".utf8),
                                                         projectName: "fromstdin", workingDirectory: "/tmp"))
        #expect(loaded.app.name == "fromstdin")
        do {
            _ = try SpecLoader.load(SpecLoadOptions(files: ["-"], stdin: Array("services: {web: {mem_limit: x}}".utf8), workingDirectory: "/"))
        } catch {
            #expect(error.errors.allSatisfy { $0.mark?.file == "<stdin>" })
        }
    }

    @Test func discoveryOrder() throws {
        let dir = try SpecDir(["compose.yml": "services: {a: {image: x}}\n", "compose.yaml": "services: {a: {image: x}}\n"])
        #expect(SpecLoader.discover(in: dir.path) == "compose.yaml")
        let empty = try SpecDir([:])
        #expect(SpecLoader.discover(in: empty.path) == nil)
    }

    @Test func normalizedJSONIsByteStable() throws {
        let text = """
        services:
          b: {image: nginx, environment: {Z: "1", A: "2"}, ports: ["80", "81:81"]}
          a: {image: redis, labels: [k=v, a=b], depends_on: [b]}
        """
        let dir = try SpecDir(["app.yaml": text])
        let one = try CanonicalJSON.encode(dir.load().app)
        for _ in 0..<5 { #expect(try CanonicalJSON.encode(dir.load().app) == one) }
    }

    @Test func configHashLeavesOutScaleBuildDependsOnAndProfiles() throws {
        func hash(_ extra: String) throws -> [UInt8] {
            let dir = try SpecDir(["app.yaml": "services:\n  db: {image: redis}\n  web:\n    image: nginx\n\(extra)"])
            return try #require(try dir.load().app.services["web"]).configHashInput()
        }
        let base = try hash("")
        #expect(try hash("    scale: 3\n") == base)
        #expect(try hash("    depends_on: [db]\n") == base)
        #expect(try hash("    profiles: [debug]\n") == base)
        #expect(try hash("    build: .\n") == base)
        #expect(try hash("    environment: {A: \"1\"}\n") != base)
        #expect(try hash("    mem_limit: 1g\n") != base)
        let sections = try #require(try SpecDir(["app.yaml": "services: {web: {image: nginx, scale: 2}}\n"]).load().app.services["web"]).hashSections()
        #expect(sections["environment"] != nil)
        #expect(sections["depends_on"] == nil)
        #expect(sections["deploy"]?["replicas"] == nil)
    }

    @Test func shortAndLongSyntaxNormalizeAlike() throws {
        let short = try SpecDir(["app.yaml": "services: {web: {image: nginx, ports: [\"127.0.0.1:8080:80\"], volumes: [\"./d:/d:ro\"], depends_on: [db]}, db: {image: redis}}\n"])
        let long = try SpecDir(["app.yaml": """
        services:
          db: {image: redis}
          web:
            image: nginx
            ports: [{target: 80, published: "8080", host_ip: 127.0.0.1, protocol: tcp}]
            volumes: [{type: bind, source: ./d, target: /d, read_only: true}]
            depends_on: {db: {condition: service_started}}
        """])
        var a = try short.load().app, b = try long.load().app
        a.name = "x"; b.name = "x"
        a.services["web"]?.volumes[0].source = "/d"
        b.services["web"]?.volumes[0].source = "/d"
        for k in a.networks.keys { a.networks[k]?.name = k; b.networks[k]?.name = k }
        #expect(try CanonicalJSON.encode(a) == CanonicalJSON.encode(b))
    }

    @Test func largeSpecsReadInParallelWithTheSameResultAsSerial() throws {
        // 300 services take the parallel path; every 50th has an error.
        var text = "services:\n"
        for i in 0..<300 {
            text += "  s\(i):\n    image: app:\(i)\n    ports: [\"\(20000 + i):80\"]\n"
            if i % 50 == 7 { text += "    mem_limit: \(i)X\n" }
        }
        let dir = try SpecDir(["app.yaml": text])
        do {
            _ = try dir.load()
            Issue.record("loaded")
        } catch {
            let lines = error.errors.compactMap { $0.mark?.line }
            #expect(lines.count == 6)
            #expect(lines == lines.sorted())
            #expect(error.errors.first?.description == "app.yaml:26:16: services.s7.mem_limit: \"7X\" is not a size (examples: 512m, 1g, 1.5GiB)")
        }
        let good = try SpecDir(["app.yaml": text.replacingOccurrences(of: "X\n", with: "m\n")]).load().app
        #expect(good.services.count == 300)
        #expect(good.services["s299"]?.ports.first?.published == PortRange(20299))
    }

    @Test func startOrderPutsDependenciesFirst() throws {
        let dir = try SpecDir(["app.yaml": "services: {web: {image: a, depends_on: [api]}, api: {image: a, depends_on: [db]}, db: {image: a}, z: {image: a}}\n"])
        #expect(try dir.load().app.startOrder == ["db", "z", "api", "web"])
    }
}

private func port(_ target: Int, _ published: String?, ip: String? = nil, proto: PortProtocol = .tcp) -> PortSpec {
    var p = PortSpec(target: target)
    p.published = published.flatMap { PortRange(parsing: $0) }
    p.hostIP = ip
    p.protocol = proto
    return p
}

@Suite struct CleanPathTests {
    @Test(arguments: [
        ("/a/b", "/a/b"), ("/", "/"), ("/a/b/", "/a/b"), ("/a//b", "/a/b"), ("/a/./b", "/a/b"), ("/a/../b", "/b"),
        ("/../a", "/a"), ("/a/.hidden", "/a/.hidden"), ("/a/b/..", "/a"), ("a/b", "/a/b"),
    ])
    func cleans(_ input: String, _ expected: String) {
        #expect(SpecReader.cleanPath(input) == expected)
    }
}

@Suite struct PortCollisionTests {
    func errors(_ ports: [String: [String]]) throws -> [String] {
        var text = "services:\n"
        for (name, list) in ports.sorted(by: { $0.key < $1.key }) {
            text += "  \(name):\n    image: nginx\n    ports: [" + list.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
        }
        let dir = try SpecDir(["app.yaml": text])
        do {
            _ = try dir.load()
            return []
        } catch {
            return error.errors.map(\.message)
        }
    }

    @Test func collisions() throws {
        #expect(try errors(["a": ["8080:80"], "b": ["8080:80/udp"]]).isEmpty)
        #expect(try errors(["a": ["127.0.0.1:8080:80"], "b": ["127.0.0.2:8080:80"]]).isEmpty)
        #expect(try errors(["a": ["127.0.0.1:8080:80"], "b": ["8080:80"]]).count == 1)
        #expect(try errors(["a": ["8000-8010:80"], "b": ["8010:80"]]).count == 1)
        // A range too wide to index is still checked, in both orders.
        #expect(try errors(["a": ["1000-9000:80"], "b": ["8999:80"]]).count == 1)
        #expect(try errors(["a": ["8999:80"], "b": ["1000-9000:80"]]).count == 1)
        #expect(try errors(["a": ["1000-9000:80"], "b": ["9001-9100:80"]]).isEmpty)
    }
}

@Suite struct SubnetMembershipTests {
    @Test(arguments: [
        ("10.0.0.5", "10.0.0.0/24", true), ("10.0.1.5", "10.0.0.0/24", false), ("10.0.0.0", "10.0.0.0/24", true),
        ("10.0.0.255", "10.0.0.0/24", true), ("172.31.255.1", "172.16.0.0/12", true), ("172.32.0.1", "172.16.0.0/12", false),
        ("8.8.8.8", "0.0.0.0/0", true), ("10.0.0.1", "10.0.0.1/32", true), ("10.0.0.2", "10.0.0.1/32", false),
        // The host bits of a subnet written unaligned are ignored, as Docker does.
        ("10.0.0.9", "10.0.0.7/24", true),
    ])
    func ipv4InSubnet(address: String, subnet: String, inside: Bool) {
        #expect(IPAddress.ipv4(address, isIn: subnet) == inside)
    }

    @Test(arguments: ["fd00::/64", "10.0.0.0/33", "10.0.0.0", "x/8"])
    func notAnIPv4Subnet(subnet: String) {
        #expect(IPAddress.ipv4("10.0.0.1", isIn: subnet) == nil)
    }

}

@Suite struct ProfileTests {
    /// With --profile, a service outside the active profiles is left out, and one that needs it
    /// is an error at its depends_on entry.
    @Test func profilesFilterServices() throws {
        let d = try SpecDir(["app.yaml": """
        services:
          web:
            image: nginx
          debug:
            image: busybox
            profiles: [debug]
          tools:
            image: busybox
            profiles: [tools]
            depends_on: [debug]
        """])
        func load(_ profiles: Set<String>?) throws(SpecErrors) -> [String] {
            try SpecLoader.load(SpecLoadOptions(files: ["app.yaml"], workingDirectory: d.path, profiles: profiles)).app.services.keys.sorted()
        }
        #expect(try load(nil) == ["debug", "tools", "web"])
        #expect(try load([]) == ["web"])
        #expect(try load(["debug"]) == ["debug", "web"])
        #expect(try load(["*"]) == ["debug", "tools", "web"])
        #expect(try load(["tools", "debug"]) == ["debug", "tools", "web"])
        do {
            _ = try load(["tools"])
            Issue.record("tools without debug loaded")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "app.yaml:10:18: services.tools.depends_on.debug: service \"debug\" is not enabled by the active profiles (it has profiles: debug; add --profile debug)",
            ])
        }
    }
}
