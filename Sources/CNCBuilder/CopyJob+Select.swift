import CNCBuild
import Crypto
import CNCCore
import CNCSystem

/// COPY/ADD `--parents` and `--exclude` (BuildKit's Dockerfile frontend): which entries a source
/// contributes and where they land below the destination.
extension CopyJob {
    /// `--parents`: the directory the kept paths are relative to and the rest of the source,
    /// split at BuildKit's `/./` pivot (without one, paths are kept from the root).
    static func pivot(_ source: String) -> (parent: String, rest: String) {
        guard let r = source.range(of: "/./") else { return ("", source) }
        return (String(source[..<r.lowerBound]), String(source[r.upperBound...]))
    }

    /// The path an `--exclude` pattern is matched against: inside a directory source, the path
    /// below it; the selected entry itself by its name (`COPY --exclude=*.txt hom* /d/` leaves
    /// out `home.txt`); with `--parents`, the path kept below the destination.
    static func excludePath(root: String, relative: String, under: String?) -> String {
        if let under { return BuildPath.join(under, relative) }
        return relative.isEmpty ? BuildPath.baseName(root) : relative
    }

    /// The sources a COPY from the context names (after `.dockerignore`, `--exclude` and, with
    /// `--parents`, the directories between the pivot and each match), and the checksum of what
    /// they select.
    static func contextSources(_ names: [String], spec: CopySpec, builder: Builder) throws -> ([Source], String) {
        let context = builder.context
        let exclude = spec.exclude.isEmpty ? nil : DockerIgnore(patterns: spec.exclude)
        var sources: [Source] = []
        var kept: [BuildContext.Selection] = []
        for name in names {
            let (parent, rest) = spec.parents ? pivot(name) : ("", name)
            let full = BuildPath.join(BuildPath.clean(parent), BuildPath.clean(rest))
            // A --parents source with wildcards may match nothing (BuildKit allows it).
            let found = spec.parents && BuildPath.hasWildcard(name) ? try context.select(full) : try context.select([full])
            let base = spec.parents ? try context.resolve(BuildPath.clean(parent)) : ""
            for var s in found {
                let under = spec.parents ? Self.below(base, s.path) : nil
                if let exclude {
                    s.files = s.files.filter { !exclude.excludes(excludePath(root: s.path, relative: $0.relative, under: under)) }
                    if s.files.isEmpty { continue }
                }
                if let under {
                    sources += try ancestors(of: under, base: base) { p in try context.tree.lstat(p).map { ($0, context.tree) } }
                }
                kept.append(s)
                sources.append(Source(name: s.path, items: s.files.map { Item(relative: $0.relative, entry: $0.entry, tree: context.tree, link: $0.linkTarget) },
                                      under: under))
            }
        }
        var sum = try ContentChecksum.digest(kept, context: context, memo: builder.memo)
        if spec.parents { sum += "\0parents\0" + kept.map(\.path).joined(separator: "\0") }
        if !spec.exclude.isEmpty { sum += "\0exclude\0" + spec.exclude.joined(separator: "\0") }
        return (sources, sum)
    }

    /// The sources a `COPY --from` names in a stage's or image's filesystem.
    static func viewSources(_ names: [String], spec: CopySpec, view: LayeredView) throws -> [Source] {
        let exclude = spec.exclude.isEmpty ? nil : DockerIgnore(patterns: spec.exclude)
        var sources: [Source] = []
        for name in names {
            let (parent, rest) = spec.parents ? pivot(name) : ("", name)
            let written = BuildPath.join(BuildPath.clean(parent), BuildPath.clean(rest))
            let rel = try view.resolve(written)
            var found = try view.select(rel)
            guard !found.isEmpty else { throw CNCError(.notFound, "\"/\(written)\": not found") }
            let base = spec.parents ? try view.resolve(BuildPath.clean(parent)) : ""
            let under = spec.parents ? Self.below(base, rel) : nil
            if let exclude {
                found = found.filter { !exclude.excludes(excludePath(root: rel, relative: $0.relative, under: under)) }
                if found.isEmpty { continue }
            }
            if let under {
                sources += try ancestors(of: under, base: base) { try view.lstat($0) }
            }
            sources.append(Source(name: rel, items: found.map { Item(relative: $0.relative, entry: $0.entry, tree: $0.layer, link: $0.link) }, under: under))
        }
        return sources
    }

    /// The checksum of what a `COPY --from` selected in a stage's filesystem: each source's path,
    /// and each entry as ContentChecksum.digest feeds the context's (never its times).
    static func viewChecksum(_ sources: [Source]) throws -> String {
        var h = SHA256()
        for s in sources {
            ContentChecksum.feed(&h, "source\0\(s.name)\0\(s.under ?? "")\0")
            for item in s.items {
                try ContentChecksum.feedEntry(&h, relative: item.relative, item.entry, link: item.link) {
                    try ContentChecksum.contentDigest(item.tree, BuildPath.join(s.name, item.relative), expect: item.entry)
                }
            }
        }
        return "sha256:" + ContentChecksum.hex(h.finalize())
    }

    /// `path` below `base` (both resolved context or image paths).
    static func below(_ base: String, _ path: String) -> String {
        if base.isEmpty { return path }
        if path == base { return "" }
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
    }

    /// The directories between the pivot and a kept path (top-down), each with its own metadata
    /// as BuildKit copies them.
    static func ancestors(of under: String, base: String, lstat: (String) throws -> (RootedTree.Entry, RootedTree)?) throws -> [Source] {
        var out: [Source] = []
        var prefix = ""
        for part in under.split(separator: "/").dropLast() {
            prefix = BuildPath.join(prefix, String(part))
            let path = BuildPath.join(base, prefix)
            guard let (e, tree) = try lstat(path), e.kind == .directory else { continue }
            out.append(Source(name: path, items: [Item(relative: "", entry: e, tree: tree, link: nil)], under: prefix))
        }
        return out
    }
}
