import CNCBuild
import CNCCore
import CNCImage
import CNCOCI
import CNCSystem
import Crypto
import Foundation

/// A whole build's result, kept so a no-change rebuild re-tags the image without evaluating a
/// step: one JSON file per request under `<root>/build-cache/results/`, named by a digest of
/// everything the request says (Dockerfile bytes, build args, target, platform, labels,
/// `.dockerignore` patterns, `--add-host`, `--shm-size`, SOURCE_DATE_EPOCH, the context's
/// device and inode). It is written only by a build whose every step came from the build cache
/// (what a rebuild would do again) and holds what that build read besides the request:
///   - the context's stat signature (path, kind, mode, owner, size, device, inode, mtime, ctime
///     and link target of every entry `.dockerignore` keeps), taken after the build and kept
///     only when every entry's ctime is older than the build's start less the racy window
///     (FileDigestMemo.racyWindow): no entry changed while the build read it, and a later
///     change moves some stat;
///   - each base image reference (FROM, COPY --from=image) and the manifest it resolved to;
///   - each step cache entry used, byte for byte (a `--no-cache` build rewrites entries), and
///     its layer, whose blob must still be in the store;
///   - the progress lines the steps printed, replayed with their CACHED markers.
/// Any difference, a missing entry or blob, `--pull`, `--no-cache` or an `ADD <url>` means the
/// normal build, which hits the step cache exactly as it would have. Only a shortcut: a garbled
/// or missing record is a normal build. `cnc builder prune` keeps the directory (its entries
/// fail the step check once their cache entries are gone).
enum BuildResultRecord {
    struct Step: Codable {
        var key: String
        /// The cache entry's file as that build read it.
        var entry: String
        var layer: CNCCore.Digest?
    }

    struct Event: Codable, Equatable {
        /// "begin", "cached" or "done".
        var kind: String
        var number: Int
        var title: String?
    }

    struct Record: Codable {
        var signature: String
        var bases: [String: CNCCore.Digest]
        var steps: [Step]
        var events: [Event]
        var layers: [Descriptor]
        var config: ImageConfig
        var manifest: CNCCore.Digest
    }

    static func directory(_ stateRoot: String) -> String { BuildCache(stateRoot: stateRoot).directory + "/results" }

    /// The record's name for `request`, nil when the request may not use one.
    static func name(_ request: BuildRequest, context: BuildContext) -> String? {
        guard !request.noCache, !request.pull, !request.dockerfileDigest.isEmpty,
              let root = try? context.tree.lstat("") else { return nil }
        var parts = ["build-result v1", "\(root.device)-\(root.inode)", request.context, request.dockerfileDigest,
                     "target=" + (request.target ?? ""), "platform=" + request.arguments.targetPlatform.description]
        parts += request.arguments.values.sorted { $0.key < $1.key }.map { "arg:\($0.key)=\($0.value)" }
        parts += request.labels.sorted { $0.key < $1.key }.map { "label:\($0.key)=\($0.value)" }
        parts += request.ignore.patterns.map { "ignore:" + ($0.exclusion ? "!" : "") + $0.text }
        parts += request.extraHosts.map { "add-host=" + $0 }
        if let shm = request.shmSize { parts.append("shm-size=\(shm)") }
        if let epoch = request.sourceDateEpoch { parts.append("source-date-epoch=\(epoch)") }
        return BuildCache.key(parent: "", parts)
    }

    /// The context's stat signature (see the type's comment), or nil when it cannot be read or
    /// (`changedSince`, a build's start in wall-clock nanoseconds) some entry changed within the
    /// racy window before that start or later: such a context is not recorded.
    static func signature(_ context: BuildContext, changedSince start: Int64? = nil) -> String? {
        guard let files = try? context.select(".").flatMap(\.files) else { return nil }
        var h = Crypto.SHA256()
        for f in files {
            let e = f.entry
            if let start, e.ctimeNanos >= start - FileDigestMemo.racyWindow { return nil }
            ContentChecksum.feed(&h, "\(f.path)\0\(e.kind)\0\(e.mode) \(e.uid) \(e.gid) \(e.size) \(e.device) \(e.inode) \(e.mtimeNanos) \(e.ctimeNanos)\0\(f.linkTarget ?? "")\n")
        }
        return ContentChecksum.hex(h.finalize())
    }

    /// Tags the recorded image when the record still holds for `request`, replaying the steps'
    /// progress; nil (nothing done, nothing printed) when the build must run.
    static func replay(_ request: BuildRequest, store: ImageStore, progress: BuildProgress) throws -> ResolvedImage? {
        guard let context = try? BuildContext(root: request.context, ignore: request.ignore),
              let name = name(request, context: context) else { return nil }
        // What was read, and the identity it had just before (for the front's BuildReplayTicket).
        var read: [(path: String, identity: String)] = []
        func readBytes(_ path: String) -> [UInt8]? {
            guard let identity = FileSystem.inodeIdentity(path), let bytes = try? FileSystem.readBytes(path) else { return nil }
            read.append((path, identity))
            return bytes
        }
        guard let bytes = readBytes(directory(store.paths.stateRoot) + "/" + name),
              let record = try? JSONDecoder().decode(Record.self, from: Data(bytes)) else { return nil }
        Trace.mark("build: result record read")
        guard signature(context) == record.signature else { return nil }
        Trace.mark("build: context unchanged")
        for (reference, digest) in record.bases {
            guard (try? store.resolve(reference))?.manifestDigest == digest else { return nil }
        }
        let cache = BuildCache(stateRoot: store.paths.stateRoot)
        for step in record.steps {
            guard let now = readBytes(cache.path(step.key)), now.elementsEqual(step.entry.utf8) else { return nil }
            if let layer = step.layer, !store.hasBlob(layer) { return nil }
        }
        guard let config = try? CanonicalJSON.encode(record.config),
              let configDigest = try? Builder.sha256(config),
              let manifest = try? CanonicalJSON.encode(Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(config.count)), layers: record.layers)),
              (try? Builder.sha256(manifest)) == record.manifest else { return nil }
        Trace.mark("build: result record holds")
        for step in record.steps { cache.used(step.key) }
        let blobs = record.layers.map(\.digest) + [configDigest, record.manifest]
        progress.replay = .init(read: read, blobs: blobs.map { store.paths.blob($0) }, touched: record.steps.map { cache.path($0.key) })
        var shown: [Int: BuildProgress.Step] = [:]
        for e in record.events {
            switch e.kind {
            case "begin": shown[e.number] = progress.begin(e.title ?? "")
            case "cached": if let s = shown[e.number] { progress.cached(s) }
            default: if let s = shown[e.number] { progress.done(s) }
            }
        }
        return try Builder.export(layers: record.layers, config: record.config, tags: request.tags, store: store, progress: progress)
    }

    /// Writes the record of a build whose every step came from the cache.
    static func save(_ record: Record, name: String, stateRoot: String) {
        let dir = directory(stateRoot)
        try? FileSystem.createDirectory(BuildCache(stateRoot: stateRoot).directory, mode: 0o700)
        try? FileSystem.createDirectory(dir, mode: 0o700)
        guard let bytes = try? CanonicalJSON.encode(record) else { return }
        try? FileSystem.writeReplacing(bytes, to: dir + "/" + name, mode: 0o600)
        Trace.mark("build: result record written")
    }
}
