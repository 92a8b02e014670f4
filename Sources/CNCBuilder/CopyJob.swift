import CNCBuild
import CNCCore
import CNCImage
import CNCSystem
import Crypto

/// One COPY or ADD: what its sources select (from the context, another stage or an image,
/// or a heredoc), their checksum for the cache key, and the layer they make.
struct CopyJob {
    /// One entry to write, relative to the selected source.
    struct Item {
        var relative: String
        var entry: RootedTree.Entry
        var tree: RootedTree
        var link: String?
    }

    /// What one source selected.
    struct Source {
        var name: String
        var items: [Item]
        /// Content of a heredoc source (`COPY <<EOF /path`).
        var inline: [UInt8]?
        /// The mode an inline source gets without --chmod (0600 for an ADD of a URL).
        var inlineMode: UInt32 = 0o644
        /// `--parents`: the path kept below the destination.
        var under: String?
        var isDirectory: Bool { items.first?.entry.kind == .directory }
    }

    let spec: CopySpec
    let isAdd: Bool
    let sources: [Source]
    let checksum: String
    /// Entries of a local archive ADD extracts go under the destination directory.
    let fromContext: Bool
    unowned let builder: Builder

    static func prepare(_ spec: CopySpec, isAdd: Bool, builder: Builder, graph: BuildGraph, state: StageState,
                        heredocs: [Heredoc]) throws -> CopyJob {
        var sources: [Source] = []
        var sum: [String] = []
        let isURL = { (s: String) in s.hasPrefix("http://") || s.hasPrefix("https://") }
        let plain = spec.sources.filter { !$0.hasPrefix("<<") && !(isAdd && isURL($0)) }
        for name in spec.sources where name.hasPrefix("<<") {
            let word = name.dropFirst(2).drop { $0 == "-" }.filter { $0 != "\"" && $0 != "'" }
            guard let doc = heredocs.first(where: { $0.name == word }) else {
                throw CNCError(.invalidArgument, "no heredoc named \(word)")
            }
            sources.append(Source(name: doc.name, items: [], inline: Array(doc.body.utf8)))
            sum.append("heredoc\0\(doc.name)\0\(doc.body)")
        }
        if spec.checksum != nil, !spec.sources.contains(where: isURL) {
            throw CNCError(.invalidArgument, "checksum can't be specified for non-HTTP(S) sources")
        }
        for url in spec.sources where isAdd && isURL(url) {
            // Fetched on every build (its bytes may change): such a build keeps no result record.
            builder.recording.withLock { $0.allCached = false }
            let (name, bytes) = try fetch(url, checksum: spec.checksum)
            sources.append(Source(name: name, items: [], inline: bytes, inlineMode: 0o600))
            // The content decides the cache key (BuildKit fetches to compare as well).
            sum.append("url\0\(url)\0" + SHA256.hash(data: bytes).map { String(format2: $0) }.joined())
        }
        if let from = spec.from {
            let view: LayeredView
            let fromStage: Bool
            if let i = try graph.stageIndexForCopy(from), let s = builder.stages[i] {
                view = try LayeredView(directories: try builder.lowerDirectories(s))
                fromStage = true
            } else {
                let image = try builder.resolveImage(from)
                view = try LayeredView(directories: try builder.store.prepareRootfs(image))
                sum.append("image\0\(image.manifestDigest)")
                fromStage = false
            }
            let found = try viewSources(plain, spec: spec, view: view)
            // A stage's files by content, not by the stage's cache key: a stage whose RUN ran
            // again (its cache pruned) and wrote other bytes must not keep the old copy, and one
            // that wrote the same files keeps the cached step (BuildKit's content checksum).
            if fromStage { sum.append("stage-files\0" + (try viewChecksum(found))) }
            sources += found
            if !spec.exclude.isEmpty { sum.append("exclude\0" + spec.exclude.joined(separator: "\0")) }
        } else if !plain.isEmpty {
            let (found, digest) = try contextSources(plain, spec: spec, builder: builder)
            sources += found
            sum.append(digest)
        }
        return CopyJob(spec: spec, isAdd: isAdd, sources: sources, checksum: sum.joined(separator: "\0"), fromContext: spec.from == nil, builder: builder)
    }

    /// Writes the layer: each source under the destination (a directory's content into it, a
    /// file to it or into it), parents the image lacks made 0755, owners from --chown (root
    /// otherwise for context files), modes from --chmod. Local archives ADD extracts.
    func execute(state: StageState) throws -> BuiltLayer? {
        let image = try LayeredView(directories: try builder.lowerDirectories(state))
        // --link: the layer is made over an empty filesystem (BuildKit copies into scratch and
        // merges), so it never depends on what earlier layers hold: no symlink of the image is
        // followed and every parent directory is in the layer. Owner names still come from the
        // image's /etc/passwd and /etc/group.
        let view = spec.link ? try LayeredView(directories: []) : image
        let owner = try spec.chown.map { try Ownership.parse($0, view: image) }
        let mode = try spec.chmod.map { try Ownership.mode($0) }
        let workdir = state.config.workingDir ?? "/"
        let rawDest = spec.destination.hasPrefix("/") ? spec.destination : StageState.join(workdir, spec.destination) + (spec.destination.hasSuffix("/") ? "/" : "")
        let destIsDir = rawDest.hasSuffix("/") || spec.parents || sources.count > 1 || spec.sources.contains(where: BuildPath.hasWildcard)
        let dest = try view.resolve(BuildPath.clean(rawDest), last: true)
        let existingDir = try view.lstat(dest).map { $0.entry.kind == .directory } ?? false
        let writer = try LayerTarWriter(scratch: builder.scratch, view: view, owner: owner)
        writer.tar.mtimeClamp = builder.request.sourceDateEpoch
        do {
            for source in sources {
                if let inline = source.inline {
                    let name = destIsDir || existingDir ? BuildPath.join(dest, source.name) : dest
                    try writer.file(name, bytes: inline, mode: mode ?? source.inlineMode)
                    continue
                }
                if isAdd && fromContext, source.items.count == 1, let only = source.items.first, only.entry.kind == .regular,
                   try ArchiveProbe.isArchive(only.tree, source.name, only.entry) {
                    try writer.extract(only.tree, source.name, only.entry, into: dest, scratch: builder.scratch)
                    continue
                }
                let base: String
                if let under = source.under {
                    base = BuildPath.join(dest, under)
                } else if source.isDirectory {
                    base = dest
                } else {
                    base = destIsDir || existingDir ? BuildPath.join(dest, BuildPath.baseName(source.name)) : dest
                }
                for item in source.items {
                    let name = item.relative.isEmpty ? base : BuildPath.join(base, item.relative)
                    if name.isEmpty { continue }
                    var e = item.entry
                    if fromContext { e.uid = 0; e.gid = 0 }
                    if let owner { e.uid = owner.uid; e.gid = owner.gid }
                    if let mode, e.kind != .symlink { e.mode = mode }
                    // A directory source copies its content, not itself (BuildKit): an existing
                    // destination keeps its mode and owner (`COPY src/ /tmp/` leaves /tmp 1777), a
                    // new one is made 0755 (or --chmod's mode), owned by --chown's user or root.
                    if item.relative.isEmpty, source.isDirectory, source.under == nil {
                        if existingDir { continue }
                        e.mode = mode ?? 0o755
                        e.uid = owner?.uid ?? 0
                        e.gid = owner?.gid ?? 0
                    }
                    try writer.entry(name, e, tree: item.tree, source: source.isDirectory ? BuildPath.join(source.name, item.relative) : source.name, link: item.link)
                }
            }
            return try writer.finish(store: builder.store, parentDiffIDs: state.diffIDs)
        } catch {
            writer.abandon()
            throw error
        }
    }
}

/// Paths inside an image or context, slash-separated without a leading slash.
enum BuildPath {
    static func clean(_ p: String) -> String { BuildContext.normalize(p) }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : (b.isEmpty ? a : a + "/" + b) }

    static func baseName(_ p: String) -> String { p.split(separator: "/").last.map(String.init) ?? p }

    static func hasWildcard(_ s: String) -> Bool { BuildContext.hasWildcard(s) }
}

extension BuildGraph {
    /// `--from=NAME|INDEX`: the stage it names, or nil for an image.
    func stageIndexForCopy(_ ref: String) throws -> Int? {
        if !ref.isEmpty, ref.allSatisfy({ $0.isASCII && $0.isNumber }), let i = Int(ref), i < stages.count { return i }
        return stageIndex(named: ref)
    }
}
