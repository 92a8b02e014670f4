import CNCBuild
import CNCSpec
import CNCSystem

/// Compose's `develop.watch` rules of an app, and what a batch of changed host paths asks of
/// them (as `docker compose watch` decides it): the services to rebuild, the files to sync into
/// each service's containers (host path -> container path), the services to restart and the
/// exec hooks to run. Pure: the caller does the work (`DevelopActions`).
struct DevelopWatch {
    struct Rule {
        var service: String
        var rule: WatchRule
        /// The build context's .dockerignore (relative to the context), if the service builds.
        var contextIgnore: (context: String, patterns: DockerIgnore)?
        var ignore: DockerIgnore
        var include: DockerIgnore?

        /// Whether a change of `path` concerns this rule (under its path, included, not ignored).
        func matches(_ path: String) -> Bool {
            guard let rel = DevelopWatch.relative(path, to: rule.path) else { return false }
            if DevelopWatch.isEphemeral(path) || rel.split(separator: "/").contains(".git") { return false }
            if let (context, patterns) = contextIgnore, let r = DevelopWatch.relative(path, to: context), !r.isEmpty, patterns.excludes(r) { return false }
            if rel.isEmpty { return true }
            if ignore.excludes(rel) { return false }
            if let include, !include.excludes(rel) { return false }
            return true
        }

        /// Where `path` goes in the container.
        func containerPath(_ path: String) -> String? {
            guard let target = rule.target, let rel = DevelopWatch.relative(path, to: rule.path) else { return nil }
            return rel.isEmpty ? target : (target == "/" ? "/" + rel : target + "/" + rel)
        }
    }

    /// One file to copy (or, when the host path is gone, to delete) in a service's containers.
    struct Mapping: Equatable {
        var host: String
        var container: String
    }

    /// What one batch asks for.
    struct Batch: Equatable {
        var rebuild: Set<String> = []
        var sync: [String: [Mapping]] = [:]
        var restart: Set<String> = []
        /// Per service, the exec hooks to run (each rule's once, in rule order).
        var exec: [String: [WatchExec]] = [:]
        /// Changed paths no rule took.
        var unmatched: [String] = []

        var isEmpty: Bool { rebuild.isEmpty && sync.isEmpty && restart.isEmpty && exec.isEmpty }
    }

    var rules: [Rule]
    /// Sync rules left out because a bind mount of their service already covers their path
    /// (Compose's warning: syncing into a bind mount would loop).
    var boundPaths: [String] = []

    /// `only`: the services named on `cncapply watch SERVICE...` (nil: every service).
    init(app: AppSpec, only: Set<String>? = nil) {
        rules = []
        for (name, s) in app.services.sorted(by: { $0.key < $1.key }) where only?.contains(name) ?? true {
            let contextIgnore = s.build.flatMap { b -> (String, DockerIgnore)? in
                let dockerfile = b.dockerfileInline == nil ? ServiceBuilds.dockerfilePath(b) : nil
                guard let file = DockerIgnore.file(context: b.context, dockerfile: dockerfile, exists: FileSystem.exists),
                      let text = try? FileSystem.readText(file) else { return nil }
                return (b.context, DockerIgnore(text: text))
            }
            let binds = s.volumes.compactMap { $0.type == .bind ? $0.source : nil }
            for r in s.develop?.watch ?? [] {
                if r.action.syncs, binds.contains(where: { DevelopWatch.relative(r.path, to: $0) != nil }) {
                    boundPaths.append(r.path)
                    continue
                }
                rules.append(Rule(service: name, rule: r, contextIgnore: contextIgnore, ignore: DockerIgnore(patterns: r.ignore),
                                  include: r.include.isEmpty ? nil : DockerIgnore(patterns: r.include)))
            }
        }
    }

    /// Compose's warnings for the rules left out (`boundPaths`).
    var warnings: [String] {
        boundPaths.map { "WARN[0000] path '\($0)' also declared by a bind mount volume, this path won't be monitored!" }
    }

    /// The services that have rules: the others keep `--watch`'s own behaviour.
    var services: Set<String> { Set(rules.map(\.service)) }

    /// The paths to watch (recursively where they are directories).
    var trees: [String] { Array(Set(rules.map(\.rule.path))).sorted() }

    func batch(_ changed: [String]) -> Batch {
        var out = Batch()
        var execRules: [String: [Int]] = [:]
        for path in changed {
            var taken = false
            for (i, r) in rules.enumerated() where r.matches(path) {
                taken = true
                if r.rule.action.syncs, let dest = r.containerPath(path) {
                    let m = Mapping(host: path, container: dest)
                    if !(out.sync[r.service] ?? []).contains(m) { out.sync[r.service, default: []].append(m) }
                }
                switch r.rule.action {
                case .rebuild: out.rebuild.insert(r.service)
                case .restart, .syncRestart: out.restart.insert(r.service)
                case .syncExec: if !(execRules[r.service] ?? []).contains(i) { execRules[r.service, default: []].append(i) }
                case .sync: break
                }
            }
            if !taken { out.unmatched.append(path) }
        }
        for (service, indexes) in execRules { out.exec[service] = indexes.sorted().compactMap { rules[$0].rule.exec } }
        return out
    }

    /// The files `initial_sync` copies for each service: every file under each sync rule's path
    /// that the rule matches, but no Dockerfile or Compose file (as Compose skips them).
    func initialSync() -> [String: [Mapping]] {
        var out: [String: [Mapping]] = [:]
        for r in rules where r.rule.initialSync && r.rule.action.syncs {
            for file in Self.files(under: r.rule.path) where r.matches(file) && !Self.isBuildOrSpecFile(file) {
                if let dest = r.containerPath(file) { out[r.service, default: []].append(Mapping(host: file, container: dest)) }
            }
        }
        return out
    }

    static func files(under path: String) -> [String] {
        guard FileSystem.isDirectory(path), !FileSystem.isSymlink(path) else { return FileSystem.exists(path) ? [path] : [] }
        return ((try? FileSystem.listDirectory(path)) ?? []).sorted().flatMap { files(under: path + "/" + $0) }
    }

    static func isBuildOrSpecFile(_ path: String) -> Bool {
        let name = FileSystem.baseName(path)
        return name == "Dockerfile" || ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml",
                                        "compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml",
                                        "docker-compose.override.yml"].contains(name)
    }

    /// `path` relative to `base` ("" for base itself), nil when outside it.
    static func relative(_ path: String, to base: String) -> String? {
        if path == base { return "" }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
    }

    /// Editors' temporary and backup files, which Compose never syncs (Vim, Emacs, JetBrains).
    static func isEphemeral(_ path: String) -> Bool {
        let name = FileSystem.baseName(path)
        return name.hasSuffix(".swp") || name.hasSuffix(".swx") || name.hasSuffix(".swo") || name.hasSuffix("~") || name == "4913"
            || name.hasPrefix(".#") || (name.hasPrefix("#") && name.hasSuffix("#")) || name.hasSuffix("___jb_tmp___")
            || name.hasSuffix("___jb_old___") || name == ".DS_Store"
    }
}
