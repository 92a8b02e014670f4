import ArgumentParser
import CNCCore
import CNCSpec
import CNCState
import CNCSystem
import Foundation

/// Completions of the names a state root holds, for the shells' completion scripts: the script
/// runs `cnc ---completion ...` at each TAB (through the installed `cnc` front, which hands it to
/// cnc-cli), so these read the root's directories and files directly — no runtime, no lock,
/// nothing created — and answer in a few milliseconds.
///
/// An argument opts in with `completion: .containerNames` (or images, networks, volumes,
/// services); flags and subcommands complete by themselves, since the scripts are generated
/// from the command tree.
public enum NameCompletion {
    /// The state root the command line names (`--root DIR`, `--root=DIR`), else $CNC_ROOT,
    /// else the default.
    public static func stateRoot(_ words: [String]) -> String {
        var root: String?
        for (i, w) in words.enumerated() {
            if w == "--root", i + 1 < words.count { root = words[i + 1] }
            if w.hasPrefix("--root=") { root = String(w.dropFirst("--root=".count)) }
        }
        return GlobalOptions.stateRoot(root)
    }

    /// Container names: the links in `<root>/names`.
    public static func containers(root: String) -> [String] {
        ((try? FileSystem.listDirectory(root + "/names")) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Image references as `cnc images` shows them (`busybox:latest`), from index.json.
    public static func images(root: String) -> [String] {
        struct Index: Decodable {
            struct Entry: Decodable { var annotations: [String: String]? }
            var manifests: [Entry]
        }
        guard let data = FileManager.default.contents(atPath: root + "/images/index.json"),
              let index = try? JSONDecoder().decode(Index.self, from: data) else { return [] }
        let refs = index.manifests.compactMap { $0.annotations?["org.opencontainers.image.ref.name"] }
        return Set(refs.compactMap { (try? ImageReference(parsing: $0))?.familiar }).sorted()
    }

    /// Network names: the definitions in `<root>/networks/defs`.
    public static func networks(root: String) -> [String] {
        ((try? FileSystem.listDirectory(root + "/networks/defs")) ?? []).compactMap { f in
            f.hasSuffix(".json") ? String(f.dropLast(".json".count)) : nil
        }.sorted()
    }

    /// Volume names: the directories in `<root>/volumes`.
    public static func volumes(root: String) -> [String] {
        ((try? FileSystem.listDirectory(root + "/volumes")) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Service names of the app the command line names: `-p NAME` (its last revision in the
    /// state DB), else the spec (`-f FILE`..., or app.yaml/compose.yaml/compose.yml here).
    public static func services(words: [String]) -> [String] {
        var files: [String] = []
        var project: String?
        for (i, w) in words.enumerated() where i + 1 < words.count {
            if w == "-f" || w == "--file" { files.append(words[i + 1]) }
            if w == "-p" || w == "--project-name" { project = words[i + 1] }
        }
        let cwd = FileManager.default.currentDirectoryPath
        if files.isEmpty, let project {
            let db = stateRoot(words) + "/state.db"
            guard FileSystem.exists(db) else { return [] }
            return (try? StateDB.lastRevisionServices(path: db, project: project)) ?? []
        }
        if files.isEmpty, let found = SpecLoader.discover(in: cwd) { files = [found] }
        guard !files.isEmpty, !files.contains("-"),
              let loaded = try? SpecLoader.load(SpecLoadOptions(files: files, projectName: project,
                                                                environment: ProcessInfo.processInfo.environment, workingDirectory: cwd,
                                                                rootless: Rootless.wouldEnter || Rootless.isActive))
        else { return [] }
        return loaded.app.services.keys.sorted()
    }

    /// `candidates` that start with the word being completed.
    static func matching(_ candidates: [String], _ prefix: String) -> [String] {
        prefix.isEmpty ? candidates : candidates.filter { $0.hasPrefix(prefix) }
    }
}

extension CompletionKind {
    /// Names of this root's containers.
    public static var containerNames: CompletionKind {
        .custom { words, _, prefix in NameCompletion.matching(NameCompletion.containers(root: NameCompletion.stateRoot(words)), prefix) }
    }

    /// This root's image references (`busybox:latest`).
    public static var imageNames: CompletionKind {
        .custom { words, _, prefix in NameCompletion.matching(NameCompletion.images(root: NameCompletion.stateRoot(words)), prefix) }
    }

    /// Names of this root's networks.
    public static var networkNames: CompletionKind {
        .custom { words, _, prefix in NameCompletion.matching(NameCompletion.networks(root: NameCompletion.stateRoot(words)), prefix) }
    }

    /// `--network` of run/create: the modes, then this root's networks.
    public static var networkModes: CompletionKind {
        .custom { words, _, prefix in
            NameCompletion.matching(["none", "host", "bridge"] + NameCompletion.networks(root: NameCompletion.stateRoot(words)), prefix)
        }
    }

    /// Names of this root's volumes.
    public static var volumeNames: CompletionKind {
        .custom { words, _, prefix in NameCompletion.matching(NameCompletion.volumes(root: NameCompletion.stateRoot(words)), prefix) }
    }

    /// Services of the app the command line's spec options name.
    public static var serviceNames: CompletionKind {
        .custom { words, _, prefix in NameCompletion.matching(NameCompletion.services(words: words), prefix) }
    }
}
