import CNCCore
import CNCSpec
import CNCSystem

/// One app found under `--path`: its project name, spec files and where it lives in the repo.
public struct DiscoveredApp: Sendable, Equatable, Codable {
    /// The project name: the file's stem or the directory's name, normalized as Compose does.
    public var name: String
    /// The app's path inside the repository (`apps/web.yaml`, `apps/shop`).
    public var path: String
    /// Spec files relative to the repository root, in load order.
    public var files: [String]

    public init(name: String, path: String, files: [String]) {
        self.name = name
        self.path = path
        self.files = files
    }
}

/// Finds the apps under a directory of a checked-out commit, by Compose's rules: each
/// `*.yaml`/`*.yml` file directly under it is an app named after its stem; each directory
/// holding a spec file (app.yaml, compose.yaml, compose.yml, docker-compose.yaml,
/// docker-compose.yml — the first found; a compose.override.yaml/.yml beside a compose file is
/// loaded after it, as Compose does) is an app named after the directory. Hidden entries and
/// encrypted files (`*.enc.yaml`) are not apps.
public enum AppDiscovery {
    public static let directoryFileNames = SpecLoader.defaultFileNames + ["docker-compose.yaml", "docker-compose.yml"]

    public struct Result: Sendable, Equatable {
        public var apps: [DiscoveredApp]
        /// Entries that could not be apps (a name clash, a name that normalizes to nothing).
        public var problems: [String]
    }

    /// `tree`: the checkout's root; `path`: the apps' directory inside it ("" or "." for the root).
    public static func discover(tree: String, path: String) throws -> Result {
        let rel = normalizedPath(path)
        let dir = rel.isEmpty ? tree : tree + "/" + rel
        guard FileSystem.isDirectory(dir) else {
            throw CNCError(.notFound, "no directory \(rel.isEmpty ? "." : rel) in the repository", cause: "--path names the directory of the app specs")
        }
        var apps: [DiscoveredApp] = []
        var problems: [String] = []
        for entry in try FileSystem.listDirectory(dir) where !entry.hasPrefix(".") {
            let inRepo = rel.isEmpty ? entry : rel + "/" + entry
            if FileSystem.isDirectory(dir + "/" + entry) {
                guard let file = directoryFileNames.first(where: { FileSystem.exists(dir + "/" + entry + "/" + $0) }) else { continue }
                var files = [inRepo + "/" + file]
                if file.hasPrefix("compose."), let o = ["compose.override.yaml", "compose.override.yml"]
                    .first(where: { FileSystem.exists(dir + "/" + entry + "/" + $0) }) {
                    files.append(inRepo + "/" + o)
                }
                apps.append(DiscoveredApp(name: projectName(entry), path: inRepo, files: files))
            } else if let stem = specStem(entry) {
                apps.append(DiscoveredApp(name: projectName(stem), path: inRepo, files: [inRepo]))
            }
        }
        var byName: [String: [String]] = [:]
        for app in apps { byName[app.name, default: []].append(app.path) }
        for app in apps where app.name.isEmpty {
            problems.append("\(app.path): its name gives no valid project name (lowercase letters, digits, '-' and '_')")
        }
        for (name, paths) in byName.sorted(by: { $0.key < $1.key }) where !name.isEmpty && paths.count > 1 {
            problems.append("\(paths.joined(separator: ", ")): more than one app named \(name); none of them is applied")
        }
        let kept = apps.filter { !$0.name.isEmpty && byName[$0.name]?.count == 1 }
        return Result(apps: kept.sorted { $0.name < $1.name }, problems: problems)
    }

    /// The stem of a spec file name (`web.yaml` -> `web`); nil for other files.
    static func specStem(_ file: String) -> String? {
        for ext in [".yaml", ".yml"] where file.hasSuffix(ext) {
            let stem = String(file.dropLast(ext.count))
            if stem.isEmpty || stem.hasSuffix(".enc") { return nil }
            return stem
        }
        return nil
    }

    /// Compose's project name rule: lowercase; only a-z, 0-9, '-' and '_'; starting with a
    /// letter or digit.
    public static func projectName(_ raw: String) -> String {
        let kept = raw.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
        return String(String.UnicodeScalarView(kept).drop { $0 == "-" || $0 == "_" })
    }

    static func normalizedPath(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
    }
}
