import ArgumentParser
import CNCCore
import CNCSpec
import CNCState
import CNCSystem
import Foundation

/// `-f`, `-p`, `--env-file` and `--profile`: which app spec a cncapply command works on. Shared by validate,
/// config, apply, diff... through `@OptionGroup var spec: SpecOptions`.
public struct SpecOptions: ParsableArguments, Sendable {
    @Option(name: .shortAndLong, help: ArgumentHelp(
        "App spec file (repeatable; later files override earlier ones; '-' reads stdin). Default: app.yaml, compose.yaml or compose.yml in the current directory.",
        valueName: "file"))
    public var file: [String] = []

    @Option(name: [.customShort("p"), .customLong("project-name")], help: ArgumentHelp(
        "Project name when the spec has no name: (default: the spec's directory name).", valueName: "name"))
    public var projectName: String?

    @Option(name: .customLong("env-file"), help: ArgumentHelp(
        "Variables for interpolation instead of .env beside the first spec (repeatable).", valueName: "file"))
    public var envFile: [String] = []

    @Option(name: .customLong("profile"), help: ArgumentHelp(
        "Enable the services of this profile (repeatable; '*' for all; default: $COMPOSE_PROFILES). Services without profiles: are always enabled.",
        valueName: "name"))
    public var profile: [String] = []

    @Option(name: .customLong("age-key-file"), help: ArgumentHelp(
        "age identity that decrypts *.enc.yaml, .env.enc and *.enc files (default: $CNC_AGE_KEY_FILE, $SOPS_AGE_KEY_FILE, <root>/age/key.txt).",
        valueName: "file"))
    public var ageKeyFile: String?

    public init() {}

    /// The active profiles: --profile, else the comma-separated $COMPOSE_PROFILES.
    public func activeProfiles(environment: [String: String]) -> Set<String> {
        if !profile.isEmpty { return Set(profile) }
        return Set((environment["COMPOSE_PROFILES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// The spec files: -f as given, else the first default name found in the working directory.
    public func specFiles(workingDirectory: String) throws -> [String] {
        if !file.isEmpty { return file }
        guard let found = SpecLoader.discover(in: workingDirectory) else {
            throw CNCError(.notFound, "no app spec found",
                           cause: "none of \(SpecLoader.defaultFileNames.joined(separator: ", ")) in \(workingDirectory); name one with -f")
        }
        return [found]
    }

    /// The spec files as absolute paths (what `cncapply ls` shows as CONFIG FILES); `-` stays.
    public func absoluteSpecFiles() throws -> [String] {
        let cwd = FileManager.default.currentDirectoryPath
        return AppListing.absolute(try specFiles(workingDirectory: cwd), directory: cwd)
    }

    /// Compiles the spec these options name; throws `SpecErrors` listing every problem.
    /// Services with `build:` and no `image:` get the name their build is tagged with
    /// (`<project>-<service>`), unless `asWritten` (`config` prints the spec as written).
    public func load(asWritten: Bool = false) throws -> LoadedSpec {
        let files = try specFiles(workingDirectory: FileManager.default.currentDirectoryPath)
        let environment = ProcessInfo.processInfo.environment
        return try Self.load(files: files, projectName: projectName, envFiles: envFile,
                             profiles: activeProfiles(environment: environment), environment: environment, ageKeyFile: ageKeyFile,
                             asWritten: asWritten)
    }

    /// What `load` does, with the files and options as values (`cncapply sync` names each
    /// app's files in a checked-out commit without parsing a command line).
    public static func load(files: [String], projectName: String?, envFiles: [String] = [], profiles: Set<String>,
                            environment: [String: String] = ProcessInfo.processInfo.environment, ageKeyFile: String? = nil,
                            asWritten: Bool = false) throws -> LoadedSpec {
        let stdin: [UInt8]? = files.contains("-") ? [UInt8](FileHandle.standardInput.readDataToEndOfFile()) : nil
        let options = SpecLoadOptions(files: files, stdin: stdin, projectName: projectName, envFiles: envFiles,
                                      environment: environment, workingDirectory: FileManager.default.currentDirectoryPath,
                                      profiles: profiles, decryptor: AgeDecryptor.resolve(option: ageKeyFile, environment: environment),
                                      rootless: Rootless.isActive)
        var loaded = try SpecLoader.load(options)
        if !asWritten { loaded.app = loaded.app.namingBuiltImages() }
        return loaded
    }

    /// Loads the spec, printing warnings and (on failure) every error on stderr; a failure exits 1.
    public func loadReporting(asWritten: Bool = false) throws -> LoadedSpec {
        do {
            let loaded = try load(asWritten: asWritten)
            for w in loaded.warnings { writeStderr(w.description + "\n") }
            if Rootless.isActive { try Self.checkRootlessNetworks(loaded) }
            return loaded
        } catch let e as SpecErrors {
            writeStderr(e.diagnostics.map { $0.description + "\n" }.joined())
            throw ExitCode(1)
        }
    }
}

extension SpecOptions {
    /// Rootless: the spec's networks whose driver rootless cnc refuses, at their `driver` key
    /// (before anything is made).
    static func checkRootlessNetworks(_ loaded: LoadedSpec) throws {
        let refused = loaded.app.networks.sorted { $0.key < $1.key }.compactMap { key, net -> SpecDiagnostic? in
            guard !net.external, let why = Rootless.networkDriverRefusal(net.driver.rawValue) else { return nil }
            let path = "networks.\(key).driver"
            return SpecDiagnostic(loaded.sourceMap.mark(path), path, why)
        }
        if !refused.isEmpty { throw SpecErrors(refused) }
    }

    /// `-p NAME` alone (no -f, no spec here): the files that app was last applied from, as
    /// recorded in the state root (export and install-unit work on an app by its name).
    func recordedIfNamed(stateRoot: String) async throws -> SpecOptions {
        var options = self
        let cwd = FileManager.default.currentDirectoryPath
        guard options.file.isEmpty, SpecLoader.discover(in: cwd) == nil, let name = options.projectName,
              FileSystem.exists(stateRoot + "/state.db") else { return options }
        let db = try StateDB(path: stateRoot + "/state.db")
        guard let app = try await db.apps().first(where: { $0.project == name }) else {
            throw CNCError(.notFound, "no such app: \(name)", cause: "no spec file here and no app of that name in \(stateRoot)")
        }
        options.file = AppListing.absolute(app.specFiles, directory: app.workingDirectory)
        return options
    }
}
