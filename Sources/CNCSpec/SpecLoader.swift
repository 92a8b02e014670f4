import CNCCore
import Foundation

/// What to load: the `-f` files (`-` is standard input), `-p`, `--env-file` and the environment.
public struct SpecLoadOptions: Sendable {
    public var files: [String]
    /// The bytes `-` stands for (read by the caller, so loading stays testable).
    public var stdin: [UInt8]?
    public var projectName: String?
    public var envFiles: [String]
    public var environment: [String: String]
    public var workingDirectory: String
    /// The active profiles (Compose's `--profile`; `*` is all): a service with `profiles:` is kept
    /// only when one of them is active. nil keeps every service.
    public var profiles: Set<String>?
    /// Decrypts encrypted inputs (`*.enc.yaml`, `.env.enc`, `*.enc` env files and secrets);
    /// without one, an encrypted input is an error that says how to give a key.
    public var decryptor: (any SpecDecryptor)?
    /// Whether the spec is for rootless cnc: `userns_mode: keep-id` and `nomap` are valid then only.
    public var rootless: Bool

    public init(files: [String], stdin: [UInt8]? = nil, projectName: String? = nil, envFiles: [String] = [],
                environment: [String: String] = [:], workingDirectory: String, profiles: Set<String>? = nil,
                decryptor: (any SpecDecryptor)? = nil, rootless: Bool = false) {
        self.decryptor = decryptor
        self.rootless = rootless
        self.files = files
        self.stdin = stdin
        self.projectName = projectName
        self.envFiles = envFiles
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.profiles = profiles
    }
}

/// A spec that compiled: the normalized model, its warnings, and where each key path was written.
public struct LoadedSpec: Sendable {
    public var app: AppSpec
    public var warnings: [SpecDiagnostic]
    /// Key path (`services.web.ports[0]`) -> position, for later errors that point into the spec.
    public var sourceMap: SourceMap
    /// The directory relative paths resolved against (the first file's).
    public var projectDirectory: String
    /// The variables the spec was interpolated with (.env or --env-file, then the environment).
    public var variables: [String: String] = [:]
    /// The env files read: `.env` beside the spec (when there is one) or `--env-file`, and the
    /// services' `env_file:` (absolute paths). With the spec files, what a revision records.
    public var envFiles: [String] = []
    /// Those of `variables` read from encrypted files (.env.enc): never to be written out.
    public var sealedVariables: Set<String> = []
}

/// The spec compiler's entry point: files -> merged, interpolated YAML -> AppSpec -> checks.
public enum SpecLoader {
    /// Names tried in the working directory when no `-f` is given, in order.
    public static let defaultFileNames = ["app.yaml", "compose.yaml", "compose.yml"]
    public static let maxIncludeDepth = 16

    /// The spec file in `directory` when none is named, else nil.
    public static func discover(in directory: String) -> String? {
        for name in defaultFileNames where FileManager.default.fileExists(atPath: directory + "/" + name) { return name }
        return nil
    }

    /// Compiles the spec; on any error throws every problem at once (warnings included).
    public static func load(_ options: SpecLoadOptions) throws(SpecErrors) -> LoadedSpec {
        var diags: [SpecDiagnostic] = []
        let cwd = options.workingDirectory
        guard let first = options.files.first else {
            throw SpecErrors([SpecDiagnostic(nil, "", "no spec file given")])
        }
        let projectDir = first == "-" ? cwd : dirname(absolute(first, cwd))

        // Variables: .env and the encrypted .env.enc beside the first file (or --env-file), then
        // the process environment on top.
        let sealed = SealedInputs(decryptor: options.decryptor)
        var variables: [String: String] = [:]
        var envFilesRead: [String] = []
        var sealedVariables: Set<String> = []
        let envFiles = options.envFiles.isEmpty ? [projectDir + "/.env", projectDir + "/.env.enc"] : options.envFiles.map { absolute($0, cwd) }
        for (i, path) in envFiles.enumerated() {
            let shown = options.envFiles.isEmpty ? String(path.split(separator: "/").last ?? "") : options.envFiles[i]
            let bytes: [UInt8]?
            do { bytes = try sealed.read(path, shown: shown) } catch {
                diags.append(SpecDiagnostic(nil, "", "\(error)"))
                continue
            }
            guard let bytes else {
                if !options.envFiles.isEmpty { diags.append(SpecDiagnostic(nil, "", "cannot read env file \(options.envFiles[i])")) }
                continue
            }
            envFilesRead.append(path)
            do {
                let entries = try EnvFile.parse(String(decoding: bytes, as: UTF8.self), base: options.environment)
                if SealedInputs.isEncrypted(path) {
                    sealed.remember(entries, from: shown)
                    sealedVariables.formUnion(entries.map(\.0))
                }
                for (k, v) in entries { variables[k] = v }
            } catch {
                diags.append(SpecDiagnostic(SourceMark(file: shown, line: error.line, column: 1), "", error.message))
            }
        }
        for (k, v) in options.environment { variables[k] = v }
        let interpolator = Interpolator(variables: variables)

        var baseDirs: [String: String] = [:]
        var merged: YAMLNode?
        for file in options.files {
            let display = file == "-" ? "<stdin>" : file
            let bytes: [UInt8]?
            do {
                if file == "-" { bytes = options.stdin ?? [] } else { bytes = try sealed.read(absolute(file, cwd), shown: file) }
            } catch {
                diags.append(SpecDiagnostic(nil, "", "\(error)"))
                continue
            }
            guard let bytes else {
                diags.append(SpecDiagnostic(nil, "", "cannot read spec file \(file): no such file or not readable"))
                continue
            }
            baseDirs[display] = projectDir
            guard var node = loadDocument(bytes, display: display, interpolator: interpolator, diags: &diags) else { continue }
            node = resolveIncludes(node, display: display, absDir: file == "-" ? cwd : dirname(absolute(file, cwd)),
                                   interpolator: interpolator, sealed: sealed, baseDirs: &baseDirs, diags: &diags, depth: 0,
                                   seen: [absolute(file, cwd)])
            merged = merged.map { SpecMerge.mergeDocuments($0, node) } ?? node
        }
        guard let root = merged else { throw SpecErrors(diags.sorted()) }

        let reader = SpecReader(variables: variables, baseDirs: baseDirs, defaultBaseDir: projectDir)
        reader.rootless = options.rootless
        reader.sourceMap = SourceMap(root: root)
        reader.diagnostics = diags
        reader.sealed = sealed
        reader.failedInterpolations = Set(diags.compactMap { $0.isInterpolationFailure ? $0.mark : nil })
        let name = projectName(root, options: options, projectDir: projectDir, reader: reader)
        var app = reader.readApp(root, projectName: name)
        if !reader.hasErrors { reader.seal(&app) }
        SpecValidator(reader: reader).validate(app)
        if let profiles = options.profiles { app.services = SpecValidator(reader: reader).enabled(app, profiles: profiles) }

        let all = SecretRedaction.scrub(reader.diagnostics, secrets: sealed.all).sorted()
        if all.contains(where: { $0.severity == .error }) { throw SpecErrors(all) }
        var map = reader.sourceMap
        map.aliases = reader.sourcePaths
        return LoadedSpec(app: app, warnings: all, sourceMap: map, projectDirectory: projectDir, variables: variables,
                          envFiles: (envFilesRead + reader.envFilesRead.sorted()),
                          sealedVariables: sealedVariables.filter { options.environment[$0] == nil })
    }

    /// Parses and interpolates one file; nil (with diagnostics) when it is unusable.
    static func loadDocument(_ bytes: [UInt8], display: String, interpolator: Interpolator, diags: inout [SpecDiagnostic]) -> YAMLNode? {
        guard let node = YAMLParser.parse(bytes, file: display, diagnostics: &diags) else {
            if !diags.contains(where: { $0.mark?.file == display }) {
                diags.append(SpecDiagnostic(SourceMark(file: display, line: 1, column: 1), "", "the spec is empty (expected services: ...)"))
            }
            return nil
        }
        if node.isNull {
            diags.append(SpecDiagnostic(node.mark, "", "the spec is empty (expected services: ...)"))
            return nil
        }
        guard case .mapping = node.content else {
            diags.append(SpecDiagnostic(node.mark, "", "the spec must be a mapping (services:, networks:, ...), not \(node.kindDescription)"))
            return nil
        }
        return Interpolation.apply(node, interpolator, diags: &diags)
    }

    /// Merges `include:` files into `node`; an included resource that the including file also
    /// defines is an error, as in Compose.
    static func resolveIncludes(_ node: YAMLNode, display: String, absDir: String, interpolator: Interpolator,
                                sealed: SealedInputs, baseDirs: inout [String: String], diags: inout [SpecDiagnostic], depth: Int,
                                seen: Set<String>) -> YAMLNode {
        guard case .mapping(var pairs) = node.content, let idx = pairs.firstIndex(where: { $0.key.scalar == "include" }) else { return node }
        let includeNode = pairs[idx].value
        pairs.remove(at: idx)
        var result = YAMLNode(.mapping(pairs), mark: node.mark, expandedSize: node.expandedSize)
        var items: [YAMLNode] = []
        switch includeNode.content {
        case .sequence(let s): items = s
        default:
            diags.append(SpecDiagnostic(includeNode.mark, "include", "must be a list of paths, not \(includeNode.kindDescription)"))
            return result
        }
        for (i, item) in items.enumerated() {
            let path = "include[\(i)]"
            var file: String?
            if let s = item.scalar, !item.isNull { file = s }
            if case .mapping(let ps) = item.content {
                for p in ps {
                    switch p.key.scalar {
                    case "path": file = p.value.scalar
                    case "project_directory", "env_file": break
                    default:
                        let k = p.key.scalar ?? "?"
                        diags.append(SpecDiagnostic(p.key.mark, "\(path).\(k)", "unknown key\(Suggest.hint(k, in: ["path", "project_directory", "env_file"]))"))
                    }
                }
            }
            guard let file, !file.isEmpty else {
                diags.append(SpecDiagnostic(item.mark, path, "must be a path or {path: ...}"))
                continue
            }
            let abs = file.hasPrefix("/") ? file : SpecReader.cleanPath(absDir + "/" + file)
            let shown = file.hasPrefix("/") ? file : (display.contains("/") ? dirname(display) + "/" + file : file)
            guard depth < maxIncludeDepth, !seen.contains(abs) else {
                diags.append(SpecDiagnostic(item.mark, path, "include cycle: \(file) is already being included"))
                continue
            }
            let read: [UInt8]?
            do { read = try sealed.read(abs, shown: shown) } catch {
                diags.append(SpecDiagnostic(item.mark, path, "\(error)"))
                continue
            }
            guard let bytes = read else {
                diags.append(SpecDiagnostic(item.mark, path, "cannot read \(file): no such file or not readable"))
                continue
            }
            baseDirs[shown] = dirname(abs)
            guard var inc = loadDocument(bytes, display: shown, interpolator: interpolator, diags: &diags) else { continue }
            inc = resolveIncludes(inc, display: shown, absDir: dirname(abs), interpolator: interpolator, sealed: sealed, baseDirs: &baseDirs,
                                  diags: &diags, depth: depth + 1, seen: seen.union([abs]))
            result = addIncluded(result, inc, diags: &diags)
        }
        return result
    }

    private static func addIncluded(_ base: YAMLNode, _ inc: YAMLNode, diags: inout [SpecDiagnostic]) -> YAMLNode {
        guard case .mapping(var pairs) = base.content, case .mapping(let incPairs) = inc.content else { return base }
        for section in ["services", "networks", "volumes", "configs", "secrets"] {
            guard let incSection = incPairs.first(where: { $0.key.scalar == section }), case .mapping(let incEntries) = incSection.value.content else { continue }
            if let i = pairs.firstIndex(where: { $0.key.scalar == section }), case .mapping(var entries) = pairs[i].value.content {
                for e in incEntries {
                    if let mine = entries.first(where: { $0.key.scalar == e.key.scalar }) {
                        diags.append(SpecDiagnostic(mine.key.mark, "\(section).\(e.key.scalar ?? "?")",
                                                    "also defined by included file \(e.key.mark.file) (line \(e.key.mark.line)): an include may not be overridden"))
                    } else {
                        entries.append(e)
                    }
                }
                pairs[i].value = YAMLNode(.mapping(entries), mark: pairs[i].value.mark)
            } else {
                pairs.append(incSection)
            }
        }
        return YAMLNode(.mapping(pairs), mark: base.mark, expandedSize: base.expandedSize + inc.expandedSize)
    }

    private static func projectName(_ root: YAMLNode, options: SpecLoadOptions, projectDir: String, reader: SpecReader) -> String {
        if case .mapping(let pairs) = root.content, let n = pairs.first(where: { $0.key.scalar == "name" })?.value {
            if let s = reader.string(n, "name", allowEmpty: false) {
                if Names.isProjectName(s) { return s }
                reader.error(n, "name", "\"\(s)\" is not a valid project name (lowercase letters, digits, '-' and '_', starting with a letter or digit)")
            }
        }
        if let p = options.projectName {
            if Names.isProjectName(p) { return p }
            reader.error(nil, "", "-p \(p): not a valid project name (lowercase letters, digits, '-' and '_', starting with a letter or digit)")
        }
        let base = Names.normalizeProjectName(String(projectDir.split(separator: "/").last ?? ""))
        return base.isEmpty ? "default" : base
    }

    static func absolute(_ path: String, _ cwd: String) -> String {
        path.hasPrefix("/") ? SpecReader.cleanPath(path) : SpecReader.cleanPath(cwd + "/" + path)
    }

    static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }
}
