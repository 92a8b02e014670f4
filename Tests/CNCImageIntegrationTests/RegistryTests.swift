import CNCCore
import CNCImage
import CNCOCI
import CNCRegistry
import CNCSystem
import CNCTestSupport
import Foundation
import Testing

/// Push and pull against real registries (Debian's docker-registry) and peers (skopeo, umoci).
@Suite struct RegistryTests {
    static let amd64 = Platform(architecture: "amd64", os: "linux")

    func client(_ host: String, chunk: Int64 = 0, creds: CredentialStore? = nil) throws -> RegistryClient {
        var o = RegistryOptions()
        o.chunkSize = chunk
        o.backoff = 0.05
        o.credentials = creds
        return try RegistryClient(host: host, options: o)
    }

    @Test func pushThenSkopeoAndUmociReadIt() throws {
        let reg = try TestRegistry()
        let f = try StoreFixture()
        let img = try f.importBusybox("\(reg.host)/team/bb:1", changes: ["CMD [\"sh\"]"])
        let ref = try ImageReference(parsing: "\(reg.host)/team/bb:1")
        let digest = try ImagePusher.push(ref.description, to: ref, store: f.store, client: try client(reg.host))
        #expect(digest == img.manifestDigest)
        let inspect = try run("skopeo", ["inspect", "--tls-verify=false", "docker://\(reg.host)/team/bb:1"])
        #expect(inspect.status == 0, "\(inspect.err)")
        #expect(inspect.out.contains(digest.description))
        let layout = f.dir.path + "/sk"
        let copy = try run("skopeo", ["copy", "--src-tls-verify=false", "docker://\(reg.host)/team/bb:1", "oci:\(layout):bb"])
        #expect(copy.status == 0, "\(copy.err)")
        let u = try run("umoci", ["unpack", "--image", "\(layout):bb", f.dir.path + "/bundle"])
        #expect(u.status == 0, "\(u.err)")
        #expect(FileSystem.isExecutable(f.dir.path + "/bundle/rootfs/bin/busybox"))
        // A second repository on the same registry gets the blobs by cross-repo mount.
        let other = try ImageReference(parsing: "\(reg.host)/other/bb:1")
        try f.store.tag(ref.description, as: other)
        var logs: [String] = []
        try ImagePusher.push(other.description, to: other, store: f.store, client: try client(reg.host)) { logs.append($0) }
        #expect(logs.filter { $0.contains("Mounted from team/bb") }.count == 2, "\(logs)")
    }

    @Test func chunkedUploadAndPullBack() throws {
        let reg = try TestRegistry()
        let f = try StoreFixture()
        let img = try f.importBusybox("\(reg.host)/c/bb:1")
        let ref = try ImageReference(parsing: "\(reg.host)/c/bb:1")
        try ImagePusher.push(ref.description, to: ref, store: f.store, client: try client(reg.host, chunk: 256 << 10))
        let g = try StoreFixture()
        let pulled = try ImagePuller.pull(ref, store: g.store, client: try client(reg.host), platform: Self.amd64)
        #expect(pulled.id == img.id)
        let lowers = try g.store.prepareRootfs(pulled)
        #expect(FileSystem.isExecutable(lowers[0] + "/bin/busybox"))
        // By digest too.
        let byDigest = try ImageReference(parsing: "\(reg.host)/c/bb@\(img.manifestDigest)")
        #expect(try ImagePuller.pull(byDigest, store: g.store, client: try client(reg.host), platform: Self.amd64).id == img.id)
    }

    /// skopeo pushes a multi-platform index built here (gzip layer); cnc pulls the platform asked for.
    @Test func skopeoPushedIndexPullsByPlatform() throws {
        let reg = try TestRegistry()
        let tmp = try TempDir()
        let script = """
        import gzip, hashlib, io, json, os, sys, tarfile
        root = sys.argv[1]
        os.makedirs(root + "/blobs/sha256", exist_ok=True)
        def put(b):
            d = hashlib.sha256(b).hexdigest()
            open(root + "/blobs/sha256/" + d, "wb").write(b)
            return "sha256:" + d
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            tf.add("/bin/busybox", arcname="bin/busybox")
            for a in ["sh", "echo"]:
                i = tarfile.TarInfo("bin/" + a); i.type = tarfile.SYMTYPE; i.linkname = "busybox"; tf.addfile(i)
            i = tarfile.TarInfo("etc/arch"); data = b"x"; i.size = 1; tf.addfile(i, io.BytesIO(data))
        tar = buf.getvalue(); layer = gzip.compress(tar, 1)
        ld = put(layer); diff = "sha256:" + hashlib.sha256(tar).hexdigest()
        ms = []
        for arch in ["amd64", "arm64"]:
            cfg = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/sh"]}, "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
            m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                 "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
                 "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": len(layer)}]}).encode()
            ms.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(m), "size": len(m), "platform": {"architecture": arch, "os": "linux"}})
        idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": ms}).encode()
        open(root + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
        open(root + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": put(idx), "size": len(idx), "annotations": {"org.opencontainers.image.ref.name": "multi"}}]}))
        """
        let mk = try run("python3", ["-c", script, tmp.path + "/oci"])
        #expect(mk.status == 0, "\(mk.err)")
        let push = try run("skopeo", ["copy", "--all", "--dest-tls-verify=false", "oci:\(tmp.path)/oci:multi", "docker://\(reg.host)/multi/app:1"])
        #expect(push.status == 0, "\(push.err)")
        let f = try StoreFixture()
        let ref = try ImageReference(parsing: "\(reg.host)/multi/app:1")
        let arm = try ImagePuller.pull(ref, store: f.store, client: try client(reg.host), platform: try Platform(parsing: "linux/arm64"))
        #expect(arm.config.architecture == "arm64")
        let lowers = try f.store.prepareRootfs(arm)
        #expect(try FileSystem.readText(lowers[0] + "/etc/arch") == "x")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: lowers[0] + "/bin/sh") == "busybox")
        let e = #expect(throws: CNCError.self) {
            try ImagePuller.pull(ref, store: f.store, client: try client(reg.host), platform: try Platform(parsing: "linux/s390x"))
        }
        #expect(e?.description.contains("no matching manifest for linux/s390x") == true)
    }

    /// A hostile entry at the start of a big layer: the unpacker refuses while the download is
    /// still streaming; the pull must stop (not wait on a full queue) and leave nothing.
    @Test func hostileLayerStopsAStreamingPull() throws {
        let reg = try TestRegistry()
        let tmp = try TempDir()
        let script = """
        import gzip, hashlib, io, json, os, sys, tarfile
        root = sys.argv[1]
        os.makedirs(root + "/blobs/sha256")
        def put(b):
            d = hashlib.sha256(b).hexdigest(); open(root + "/blobs/sha256/" + d, "wb").write(b); return "sha256:" + d
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            i = tarfile.TarInfo("../escape"); i.size = 1; tf.addfile(i, io.BytesIO(b"x"))
            data = os.urandom(24 << 20); i = tarfile.TarInfo("big"); i.size = len(data); tf.addfile(i, io.BytesIO(data))
        tar = buf.getvalue(); layer = gzip.compress(tar, 1)
        cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode()
        m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
             "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(layer), "size": len(layer)}]}).encode()
        open(root + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
        open(root + "/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(m), "size": len(m), "annotations": {"org.opencontainers.image.ref.name": "evil"}}]}))
        """
        #expect(try run("python3", ["-c", script, tmp.path + "/oci"]).status == 0)
        let push = try run("skopeo", ["copy", "--dest-tls-verify=false", "oci:\(tmp.path)/oci:evil", "docker://\(reg.host)/evil/app:1"])
        #expect(push.status == 0, "\(push.err)")
        let f = try StoreFixture()
        let ref = try ImageReference(parsing: "\(reg.host)/evil/app:1")
        let e = #expect(throws: CNCError.self) { try ImagePuller.pull(ref, store: f.store, client: try client(reg.host), platform: Self.amd64) }
        #expect(e?.description.contains("refused entry \"../escape\"") == true, "\(String(describing: e))")
        #expect(try FileSystem.listDirectory(f.store.paths.blobs).isEmpty)
        #expect(try FileSystem.listDirectory(f.store.paths.layers).isEmpty)
        #expect(try FileSystem.listDirectory(f.store.paths.tmp).isEmpty)
    }

    @Test func corruptBlobIsADigestMismatchAndLeavesNothing() throws {
        let reg = try TestRegistry()
        let f = try StoreFixture()
        let img = try f.importBusybox("\(reg.host)/bad/bb:1")
        let ref = try ImageReference(parsing: "\(reg.host)/bad/bb:1")
        try ImagePusher.push(ref.description, to: ref, store: f.store, client: try client(reg.host))
        // Flip the registry's stored layer bytes (same size).
        let layer = img.manifest.layers[0].digest.encoded
        let data = reg.storage + "/docker/registry/v2/blobs/sha256/\(layer.prefix(2))/\(layer)/data"
        var bytes = try FileSystem.readBytes(data)
        bytes[bytes.count / 2] ^= 0xff
        try FileSystem.writeAtomically(bytes, to: data)
        let g = try StoreFixture()
        let e = #expect(throws: CNCError.self) { try ImagePuller.pull(ref, store: g.store, client: try client(reg.host), platform: Self.amd64) }
        #expect(e?.code == .integrity)
        #expect(e?.description.contains("digest mismatch") == true, "\(String(describing: e))")
        #expect(try FileSystem.listDirectory(g.store.paths.blobs).isEmpty)
        #expect(try FileSystem.listDirectory(g.store.paths.layers).isEmpty)
        #expect(try FileSystem.listDirectory(g.store.paths.tmp).isEmpty)
        #expect(try g.store.readIndex().manifests.isEmpty)
    }

    @Test func basicAuthAgainstTheRealRegistry() throws {
        let reg = try TestRegistry(htpasswd: ("user", "secret"))
        let f = try StoreFixture()
        try f.importBusybox("\(reg.host)/auth/bb:1")
        let ref = try ImageReference(parsing: "\(reg.host)/auth/bb:1")
        let e = #expect(throws: CNCError.self) { try ImagePusher.push(ref.description, to: ref, store: f.store, client: try client(reg.host)) }
        #expect(e?.code == .permissionDenied, "\(String(describing: e))")
        let bad = try RegistryClient(host: reg.host, options: RegistryOptions(), credential: Credential(username: "user", password: "nope"))
        #expect(throws: CNCError.self) { try bad.ping() }
        let creds = CredentialStore(path: f.dir.path + "/auth.json")
        try creds.store(Credential(username: "user", password: "secret"), for: reg.host)
        let mode = try FileManager.default.attributesOfItem(atPath: creds.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try ImagePusher.push(ref.description, to: ref, store: f.store, client: try client(reg.host, creds: creds))
        let g = try StoreFixture()
        #expect(try ImagePuller.pull(ref, store: g.store, client: try client(reg.host, creds: creds), platform: Self.amd64).names == [ref])
    }

    @Test func bearerTokenRetryOn503AndResumeWithRange() throws {
        let fake = try FakeRegistry()
        let f = try StoreFixture()
        let creds = CredentialStore(path: f.dir.path + "/auth.json")
        try creds.store(Credential(username: "user", password: "secret"), for: fake.host)
        let ref = try ImageReference(parsing: "\(fake.host)/test/app:v1")
        let img = try ImagePuller.pull(ref, store: f.store, client: try client(fake.host, creds: creds), platform: Self.amd64)
        #expect(img.manifestDigest.description == fake.manifestDigest)
        let lowers = try f.store.prepareRootfs(img)
        #expect(try FileSystem.readText(lowers[0] + "/hello.txt").hasPrefix("resumable layer content\n"))
        let stats = try fake.stats()
        #expect((stats["manifest_gets"] as? Int) == 2, "one 503, then success: \(stats)")
        #expect((stats["ranges"] as? [String])?.count == 1, "resumed with Range: \(stats)")
        #expect((stats["token_requests"] as? Int ?? 0) >= 1)
        // Without credentials: a clear auth failure.
        let g = try StoreFixture()
        let e = #expect(throws: CNCError.self) { try ImagePuller.pull(ref, store: g.store, client: try client(fake.host), platform: Self.amd64) }
        #expect(e?.code == .permissionDenied, "\(String(describing: e))")
    }
}
