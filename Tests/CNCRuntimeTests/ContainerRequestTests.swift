import CNCCore
import CNCImageStore
import CNCRuntime
import Foundation
import Testing

/// `ContainerRequest.resolve`: the one merge of a request with its image's defaults.
@Suite struct ContainerRequestTests {
    static let image = ImageDefaults(
        reference: "img", id: "sha256:1", lowerDirs: ["/l"], env: ["PATH=/bin", "A=image"], entrypoint: ["/entry"], cmd: ["serve"],
        workingDir: "/srv", user: "app", stopSignal: "SIGQUIT", healthcheck: ["CMD", "true"], healthInterval: 1_000_000_000,
        volumes: ["/data"], labels: ["a": "image", "b": "image"])

    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var entrypoint: [String]?
        var command: [String]?
        var wantEntrypoint: [String]
        var wantCmd: [String]
    }

    /// Docker's ENTRYPOINT/CMD interplay.
    @Test(arguments: [
        Case(testDescription: "image defaults", entrypoint: nil, command: nil, wantEntrypoint: ["/entry"], wantCmd: ["serve"]),
        Case(testDescription: "command replaces CMD", entrypoint: nil, command: ["x"], wantEntrypoint: ["/entry"], wantCmd: ["x"]),
        Case(testDescription: "entrypoint drops CMD", entrypoint: ["/other"], command: nil, wantEntrypoint: ["/other"], wantCmd: []),
        Case(testDescription: "entrypoint and command", entrypoint: ["/other"], command: ["y"], wantEntrypoint: ["/other"], wantCmd: ["y"]),
        Case(testDescription: "empty entrypoint clears", entrypoint: [], command: ["sh"], wantEntrypoint: [], wantCmd: ["sh"]),
    ])
    func entrypointAndCommand(_ c: Case) throws {
        var r = ContainerRequest(name: "n", image: "img")
        r.entrypoint = c.entrypoint
        r.command = c.command
        let config = try r.resolve(image: Self.image)
        #expect(config.entrypoint == c.wantEntrypoint && config.cmd == c.wantCmd)
    }

    @Test func defaultsMergeWhereTheRequestIsSilent() throws {
        var r = ContainerRequest(name: "n", image: "img")
        r.env = ["A=request", "B=1"]
        r.labels = ["b": "request"]
        let c = try r.resolve(image: Self.image)
        // Environment by key: the request's value replaces the image's where it stood.
        #expect(c.env == ["PATH=/bin", "A=request", "B=1"])
        #expect(c.labels == ["a": "image", "b": "request"])
        #expect(c.workingDir == "/srv" && c.user == "app" && c.stopSignal == "SIGQUIT")
        #expect(c.healthcheck?.test == ["CMD", "true"] && c.healthcheck?.interval == 1_000_000_000)
        #expect(c.mounts.map(\.target) == ["/data"] && c.mounts.first?.type == .volume)
        #expect(c.imageID == "sha256:1" && c.lowerDirs == ["/l"])
    }

    @Test func requestOverridesTheImage() throws {
        var r = ContainerRequest(name: "n", image: "img")
        r.workingDir = "/w"; r.user = "0"; r.stopSignal = "SIGINT"
        r.healthcheck = .disabled
        r.imageVolumes = false
        let c = try r.resolve(image: Self.image)
        #expect(c.workingDir == "/w" && c.user == "0" && c.stopSignal == "SIGINT" && c.healthcheck == nil && c.mounts.isEmpty)
        r.healthcheck = .custom(Healthcheck(test: ["CMD-SHELL", "x"]))
        #expect(try r.resolve(image: Self.image).healthcheck?.test == ["CMD-SHELL", "x"])
    }

    @Test func limitsAreCheckedAtResolve() throws {
        var r = ContainerRequest(name: "n", image: "img")
        r.limits.memory = 1 << 20
        #expect(throws: CNCError.self) { try r.resolve(image: Self.image) }
        r.limits.memory = 64 << 20
        r.limits.memorySwap = 32 << 20
        #expect(throws: CNCError.self) { try r.resolve(image: Self.image) }
        r.stopSignal = "SIGNOPE"
        r.limits = CgroupLimits()
        #expect(throws: CNCError.self) { try r.resolve(image: Self.image) }
    }

    /// Containers created before ports were typed stored `-p` text; it still decodes.
    @Test func storedPortTextStillDecodes() throws {
        let ports = try JSONDecoder().decode([PublishedPort].self, from: Data(#"["127.0.0.1:8080:80/tcp","53/udp"]"#.utf8))
        #expect(ports == [PublishedPort(hostIP: IPv4Address("127.0.0.1"), hostPort: 8080, containerPort: 80),
                          PublishedPort(hostPort: 0, containerPort: 53, proto: .udp)])
        let typed = try JSONEncoder().encode(ports)
        #expect(try JSONDecoder().decode([PublishedPort].self, from: typed) == ports)
    }

    /// One RestartPolicy for spec, runtime and inspect: Docker's text, and the keyed form
    /// containers stored before still decodes.
    @Test func restartPolicyHasOneForm() throws {
        for (text, name, count) in [("no", RestartPolicy.Name.no, 0), ("always", .always, 0), ("unless-stopped", .unlessStopped, 0),
                                    ("on-failure", .onFailure, 0), ("on-failure:3", .onFailure, 3)] {
            let p = try RestartPolicy(parsing: text)
            #expect(p == RestartPolicy(name: name, maximumRetryCount: count) && p.description == text)
            #expect(try JSONDecoder().decode(RestartPolicy.self, from: JSONEncoder().encode(p)) == p)
        }
        let legacy = try JSONDecoder().decode(RestartPolicy.self, from: Data(#"{"name":"on-failure","maximumRetryCount":2}"#.utf8))
        #expect(legacy == RestartPolicy(name: .onFailure, maximumRetryCount: 2))
        #expect(throws: CNCError.self) { try RestartPolicy(parsing: "always:2") }
        #expect(throws: CNCError.self) { try RestartPolicy(parsing: "sometimes") }
    }
}
