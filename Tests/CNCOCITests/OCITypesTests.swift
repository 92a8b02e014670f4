import CNCCore
import CNCOCI
import Foundation
import Testing

@Suite struct OCITypesTests {
    static let dockerConfig = """
    {"architecture":"amd64","config":{"Env":["PATH=/usr/bin"],"Cmd":["sh"],"WorkingDir":"/w","User":"1:2",
     "ExposedPorts":{"80/tcp":{}},"Labels":{"a":"b"},"Volumes":{"/data":{}},"StopSignal":"SIGQUIT","Entrypoint":null},
     "created":"2024-01-01T00:00:00Z","history":[{"created":"2024-01-01T00:00:00Z","created_by":"ADD rootfs","empty_layer":false}],
     "os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:\(String(repeating: "a", count: 64))"]}}
    """

    @Test func decodesDockerStyleImageConfig() throws {
        let c = try JSONDecoder().decode(ImageConfig.self, from: Data(Self.dockerConfig.utf8))
        #expect(c.config?.env == ["PATH=/usr/bin"])
        #expect(c.config?.cmd == ["sh"])
        #expect(c.config?.entrypoint == nil)
        #expect(c.config?.exposedPorts?.keys.sorted() == ["80/tcp"])
        #expect(c.config?.volumes?.keys.sorted() == ["/data"])
        #expect(c.config?.stopSignal == "SIGQUIT")
        #expect(c.rootfs.diffIDs.count == 1)
        #expect(c.history?.first?.createdBy == "ADD rootfs")
        // Round trip keeps the spec's key names.
        let text = try CanonicalJSON.string(c)
        #expect(text.contains("\"diff_ids\""))
        #expect(text.contains("\"ExposedPorts\":{\"80/tcp\":{}}"))
        #expect(text.contains("\"created_by\""))
    }

    @Test(arguments: [
        ("linux/amd64", "linux", "amd64", nil),
        ("linux/arm64/v8", "linux", "arm64", "v8"),
        ("x86_64", "linux", "amd64", nil),
    ] as [(String, String, String, String?)])
    func parsesPlatforms(text: String, os: String, arch: String, variant: String?) throws {
        let p = try Platform(parsing: text)
        #expect(p.os == os && p.architecture == arch && p.variant == variant)
    }

    @Test func badPlatformIsAnError() {
        #expect(throws: CNCError.self) { try Platform(parsing: "a/b/c/d") }
    }

    @Test func indexPicksThePlatform() throws {
        let d1 = Descriptor(mediaType: MediaType.ociManifest, digest: try Digest("sha256:" + String(repeating: "1", count: 64)), size: 1,
                            platform: Platform(architecture: "arm64", os: "linux", variant: "v8"))
        let d2 = Descriptor(mediaType: MediaType.ociManifest, digest: try Digest("sha256:" + String(repeating: "2", count: 64)), size: 1,
                            platform: Platform(architecture: "amd64", os: "linux"))
        let index = Index(manifests: [d1, d2])
        #expect(index.manifest(for: try Platform(parsing: "linux/amd64"))?.digest == d2.digest)
        #expect(index.manifest(for: try Platform(parsing: "linux/arm64"))?.digest == d1.digest)
        #expect(index.manifest(for: try Platform(parsing: "linux/s390x")) == nil)
    }

    @Test func layerCompressionFromMediaType() {
        #expect(LayerCompression(mediaType: MediaType.dockerLayerGzip) == .gzip)
        #expect(LayerCompression(mediaType: MediaType.ociLayerZstd) == .zstd)
        #expect(LayerCompression(mediaType: MediaType.ociLayer) == LayerCompression.none)
        #expect(LayerCompression(mediaType: "text/plain") == nil)
    }

    @Test func runtimeSpecRoundTripsRuncsShape() throws {
        let json = """
        {"ociVersion":"1.0.2","process":{"terminal":false,"user":{"uid":0,"gid":0},"args":["sh"],"env":["A=1"],"cwd":"/",
         "capabilities":{"bounding":["CAP_KILL"]},"rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],"noNewPrivileges":true},
         "root":{"path":"rootfs","readonly":true},"hostname":"h",
         "mounts":[{"destination":"/proc","type":"proc","source":"proc"}],
         "linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/proc/1/ns/net"}],
          "resources":{"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":1048576},"cpu":{"shares":512,"quota":10000,"period":100000},"pids":{"limit":20}},
          "maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"],
          "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]},
          "devices":[{"type":"c","path":"/dev/null","major":1,"minor":3,"fileMode":438}]}}
        """
        let spec = try JSONDecoder().decode(OCIRuntimeSpec.self, from: Data(json.utf8))
        #expect(spec.linux?.namespaces?.last?.path == "/proc/1/ns/net")
        #expect(spec.linux?.resources?.cpu?.quota == 10000)
        #expect(spec.linux?.seccomp?.syscalls?.first?.args?.first?.op == "SCMP_CMP_EQ")
        let again = try JSONDecoder().decode(OCIRuntimeSpec.self, from: Data(try CanonicalJSON.encode(spec)))
        #expect(again == spec)
    }
}
