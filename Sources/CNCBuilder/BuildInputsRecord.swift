import CNCBuild
import CNCCore
import CNCSystem

/// What a service's last build read, so a rebuild can say which inputs changed (`server.c`,
/// `Dockerfile`, `args.VERSION`): one text file per app service under
/// `<root>/build-cache/services/`, `image <digest>` then one `<sha256> <path>` line per context
/// file (after `.dockerignore`), the Dockerfile's and each arg's digest. Only a hint for the
/// plan's cause: names are reported only when the record belongs to the image being replaced.
public enum BuildInputsRecord {
    /// Contexts larger than this are not listed (the hint is not worth a full walk).
    static let maxFiles = 20_000

    static func directory(_ stateRoot: String) -> String { stateRoot + "/build-cache/services" }

    static func path(_ stateRoot: String, app: String, service: String) -> String {
        directory(stateRoot) + "/" + BuildCache.key(parent: "", [app, service])
    }

    /// The inputs that differ from the record of `previous` (the image the tag had before this
    /// build), or nil when that is unknown; records `now`'s inputs either way.
    public static func changes(service: String, app: String, request: BuildRequest, stateRoot: String,
                               previous: Digest?, now: Digest) -> [String]? {
        let file = path(stateRoot, app: app, service: service)
        guard let current = inputs(request, stateRoot: stateRoot) else { return nil }
        let old = (try? FileSystem.readText(file)).map(parse)
        try? FileSystem.createDirectory(stateRoot + "/build-cache", mode: 0o700)
        try? FileSystem.createDirectory(directory(stateRoot), mode: 0o700)
        try? FileSystem.writeAtomically(render(image: now, current), to: file)
        guard let old, let previous, old.image == previous.description else { return nil }
        return differing(old.inputs, current)
    }

    /// The inputs that changed since `current` (the image the service's tag has) was built, without
    /// building: what `--dry-run` and `diff` report. Nil when unknown (no record of that image).
    public static func pending(service: String, app: String, request: BuildRequest, stateRoot: String, current: Digest) -> [String]? {
        let file = path(stateRoot, app: app, service: service)
        guard let text = try? FileSystem.readText(file) else { return nil }
        let old = parse(text)
        guard old.image == current.description, let now = inputs(request, stateRoot: stateRoot) else { return nil }
        return differing(old.inputs, now)
    }

    static func differing(_ old: [String: String], _ new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }

    /// The files and links of a context a build may read (after `.dockerignore`), or nil when
    /// it cannot be read or holds more than `maxFiles`.
    static func files(_ context: BuildContext) -> [BuildContext.File]? {
        guard let all = try? context.select(".") else { return nil }
        let files = all.flatMap(\.files).filter { $0.entry.kind == .regular || $0.entry.kind == .symlink }
        return files.count <= maxFiles ? files : nil
    }

    /// The absolute paths of a context's files (what `cncapply --watch` watches), reading the
    /// `.dockerignore` a build of `dockerfile` would read; nil when unreadable or too large.
    public static func contextFiles(context: String, dockerfile: String?) -> [String]? {
        let ignoreFile = DockerIgnore.file(context: context, dockerfile: dockerfile, exists: FileSystem.exists)
        let ignore = ignoreFile.flatMap { try? FileSystem.readText($0) }.map { DockerIgnore(text: $0) } ?? DockerIgnore(patterns: [])
        guard let ctx = try? BuildContext(root: context, ignore: ignore), let files = files(ctx) else { return nil }
        let base = context.hasSuffix("/") ? context : context + "/"
        return files.map { base + $0.path } + (ignoreFile.map { [$0] } ?? [])
    }

    /// name -> digest of everything the build read from outside the store.
    static func inputs(_ request: BuildRequest, stateRoot: String) -> [String: String]? {
        guard let context = try? BuildContext(root: request.context, ignore: request.ignore), let files = files(context) else { return nil }
        let memo = ContextStatCache.load(stateRoot: stateRoot, context: context)
        var out: [String: String] = [:]
        for f in files {
            if f.entry.kind == .symlink { out[f.path] = "link:" + (f.linkTarget ?? "") } else {
                guard let d = try? ContentChecksum.fileDigest(f, context: context, memo: memo) else { return nil }
                out[f.path] = d
            }
        }
        ContextStatCache.save(memo, stateRoot: stateRoot, context: context)
        out["Dockerfile"] = request.dockerfileDigest
        for (k, v) in request.arguments.values { out["args." + k] = BuildCache.key(parent: "", [v]) }
        return out
    }

    static func render(image: Digest, _ inputs: [String: String]) -> String {
        "image \(image)\n" + inputs.sorted { $0.key < $1.key }.filter { !$0.key.contains("\n") }.map { "\($0.value) \($0.key)\n" }.joined()
    }

    static func parse(_ text: String) -> (image: String, inputs: [String: String]) {
        var image = ""
        var inputs: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 1)
            guard f.count == 2 else { continue }
            if f[0] == "image" { image = String(f[1]) } else { inputs[String(f[1])] = String(f[0]) }
        }
        return (image, inputs)
    }
}
