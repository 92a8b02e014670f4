import CNCCore
import CNCImage
import CNCOCI
import CNCRegistry
import CNCSystem
import Foundation
import CNCTestSupport
import Glibc
import Testing

/// Every case of the hostile-layer corpus (LayerUnpackerTests) served by a real docker-registry
/// and pulled: the streamed pull reaches the same verdict as an unpack from a file, fails within a
/// bounded time (it once hung on any refusal of a small layer), and leaves nothing in the store.
@Suite(.serialized) struct HostilePullTests {
    static let amd64 = Platform(architecture: "amd64", os: "linux")
    /// Far above a pull of a few KiB (or a 12 MiB over-cap layer); far below "hung".
    static let deadline: Double = 60

    /// One registry for the whole corpus, killed at exit (a static is never deinitialized).
    static let registry: TestRegistry = {
        let reg = try! TestRegistry()  // test setup, not outside input
        registryPID = reg.process.processIdentifier
        registryDir = reg.dir.path
        atexit {
            if let pid = registryPID { Glibc.kill(pid, SIGKILL); var status: Int32 = 0; _ = waitpid(pid, &status, 0) }
            if let dir = registryDir { try? FileSystem.removeTree(dir) }
        }
        return reg
    }()
    nonisolated(unsafe) static var registryPID: Int32?
    nonisolated(unsafe) static var registryDir: String?

    /// Where each refusal must point: the entry (or, for a damaged archive, the entry before it).
    static let entries: [String: String] = [
        "dotdot.tar": "../escape", "dotdot-nested.tar": "a/../../escape", "absolute.tar": "/etc/cnc-absolute",
        "pax-path-escape.tar": "../../pax-escape", "symlink-abs-dir.tar": "evil/pwned", "symlink-rel-dir.tar": "evil/pwned",
        "hardlink-abs.tar": "\"h\"", "hardlink-dotdot.tar": "\"h\"", "hardlink-missing.tar": "\"h\"",
        "hardlink-through-symlink.tar": "\"h\"", "wh-empty.tar": "a/.wh.", "wh-dot.tar": "a/.wh..", "wh-dotdot.tar": "a/.wh...",
        "size-lie-truncated.tar": "big", "size-lie-short.tar": "small", "sparse-huge.tar": "huge", "over-cap.tar": "f2",
    ]

    static func client(_ host: String, timeout: TimeInterval = 60, attempts: Int = 5) throws -> RegistryClient {
        var o = RegistryOptions()
        o.backoff = 0.05
        o.timeout = timeout
        o.attempts = attempts
        return try RegistryClient(host: host, options: o)
    }

    @Test(arguments: HostileCorpus.corpus)
    func pullReachesTheUnpackersVerdict(file: String, verdict: HostileCorpus.Verdict) throws {
        let (_, tars, host) = HostileCorpus.corpusDir
        let reg = Self.registry
        let repo = "hostile/" + file.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
        let layer = try Self.pushSingleLayerImage(tars + "/" + file, repo: repo, client: try Self.client(reg.host))
        let ref = try ImageReference(parsing: "\(reg.host)/\(repo):1")
        let work = try TempDir("cnc-hostile-pull")
        let store = try ImageStore(stateRoot: work.path + "/root")
        var limits = UnpackPolicy()
        limits.maxBytes = 10 << 20
        let policy = limits
        let client = try Self.client(reg.host)
        let started = Date()
        guard let result = Self.within(Self.deadline, { try ImagePuller.pull(ref, store: store, client: client, platform: Self.amd64, policy: policy) }) else {
            Issue.record("\(file): pull still running after \(Self.deadline) s")
            return
        }
        switch (verdict.expected, result) {
        case (.ok, .success(let image)):
            #expect(image.manifest.layers.map(\.digest) == [layer])
            #expect(try store.prepareRootfs(image).count == 1)
        case (.refused(let why), .failure(let error)):
            let message = String(describing: error)
            #expect(message.contains(why), "\(file): the error says why: \(message)")
            #expect(message.contains(layer.description), "\(file): the error names the layer: \(message)")
            #expect(message.contains(Self.entries[file] ?? "?"), "\(file): the error names the entry: \(message)")
            #expect(try FileSystem.listDirectory(store.paths.blobs).isEmpty, "\(file): blobs left")
            #expect(try FileSystem.listDirectory(store.paths.layers).isEmpty, "\(file): layers left")
            #expect(try FileSystem.listDirectory(store.paths.tmp).isEmpty, "\(file): tmp/ left")
            #expect(try store.readIndex().manifests.isEmpty, "\(file): indexed")
        default:
            Issue.record("\(file): expected \(verdict), got \(result)")
        }
        #expect(Date().timeIntervalSince(started) < Self.deadline)
        #expect(try FileSystem.listDirectory(host) == ["file"], "\(file) touched the host dir")
    }

    /// A registry that stops sending in the middle of a layer (fake_registry.py stall): each attempt times out, the pull
    /// fails naming the blob and the timeout, and the unpacker stops with it (nothing left).
    @Test func registryStallingMidBlobTimesOut() throws {
        let stall = try FakeRegistry(stall: true)
        let work = try TempDir("cnc-stall-pull")
        let store = try ImageStore(stateRoot: work.path + "/root")
        let ref = try ImageReference(parsing: "\(stall.host)/test/app:v1")
        let client = try Self.client(stall.host, timeout: 1, attempts: 2)
        guard let result = Self.within(Self.deadline, { try ImagePuller.pull(ref, store: store, client: client, platform: Self.amd64) }) else {
            Issue.record("pull from a stalling registry still running after \(Self.deadline) s")
            return
        }
        guard case .failure(let error) = result else {
            Issue.record("pull from a stalling registry succeeded")
            return
        }
        let message = String(describing: error)
        #expect(message.contains("timed out"), "\(message)")
        #expect(message.contains("/blobs/\(stall.layerDigest)"), "names the blob: \(message)")
        #expect(try FileSystem.listDirectory(store.paths.blobs).isEmpty)
        #expect(try FileSystem.listDirectory(store.paths.layers).isEmpty)
        #expect(try FileSystem.listDirectory(store.paths.tmp).isEmpty)
    }

    /// Uploads `tarPath` as the only layer of an image `repo:1` (media type from its compression,
    /// diff ID from its uncompressed bytes); returns the layer digest.
    static func pushSingleLayerImage(_ tarPath: String, repo: String, client: RegistryClient) throws -> Digest {
        let blob = try FileSystem.readBytes(tarPath)
        let mediaType = tarPath.hasSuffix(".gz") ? MediaType.ociLayerGzip : tarPath.hasSuffix(".zst") ? MediaType.ociLayerZstd : MediaType.ociLayer
        var diff = SHA256Hasher()
        try LayerUnpacker.forEachDecompressedChunk(try FileStream.openForReading(tarPath), what: tarPath) { chunk in
            chunk.withUnsafeBytes { diff.update($0) }
        }
        let layer = SHA256Hasher.digest(blob)
        try client.uploadBlob(repo, digest: layer, size: Int64(blob.count), path: tarPath)
        let config = Array("""
        {"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\(diff.finalize())"]}}
        """.utf8)
        let configPath = tarPath + ".config.json"
        try FileSystem.writeAtomically(config, to: configPath)
        defer { try? FileSystem.remove(configPath) }
        try client.uploadBlob(repo, digest: SHA256Hasher.digest(config), size: Int64(config.count), path: configPath)
        let manifest = Array("""
        {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)",\
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(SHA256Hasher.digest(config))","size":\(config.count)},\
        "layers":[{"mediaType":"\(mediaType)","digest":"\(layer)","size":\(blob.count)}]}
        """.utf8)
        try client.putManifest(repo, reference: "1", bytes: manifest, mediaType: MediaType.ociManifest)
        return layer
    }

    /// Runs `body` on its own thread; nil when it has not finished after `seconds`.
    static func within<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () throws -> T) -> Result<T, any Error>? {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Thread {
            box.result = Result { try body() }
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return box.result
    }
}

/// A thread's result, handed to the waiting thread after a semaphore.
private final class ResultBox<T>: @unchecked Sendable {
    // @unchecked: written once before the signal, read after the wait.
    var result: Result<T, any Error>?
}
