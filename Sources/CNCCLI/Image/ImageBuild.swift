import ArgumentParser
import CNCAppCLI
import CNCBuild
import CNCBuilder
import CNCCore
import CNCEngine
import CNCImage
import CNCSystem

/// `cnc build`: docker build's interface over cnc's own builder (BuildKit's Dockerfile
/// semantics): the image lands in the store with its tags; `--check` lints only.
struct ImageBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build an image from a Dockerfile.",
        discussion: """
            EXAMPLES
              cnc build -t web:v1 .
              cnc build -f build/Dockerfile --build-arg VERSION=2 --target app -t web:v2 .
              cnc build -f - -t tool:1 . < Dockerfile
              cnc build --check .
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: ArgumentHelp("Name and optionally a tag in the \"name:tag\" format.", valueName: "list")) var tag: [String] = []
    @Option(name: [.short, .long], help: ArgumentHelp("Name of the Dockerfile (default: \"PATH/Dockerfile\"; - reads standard input).", valueName: "string")) var file: String?
    @Option(name: .long, help: ArgumentHelp("Set build-time variables.", valueName: "list")) var buildArg: [String] = []
    @Option(name: .long, help: ArgumentHelp("Set the target build stage to build.", valueName: "string")) var target: String?
    @Flag(name: .long, help: "Do not use cache when building the image.") var noCache = false
    @Option(name: .long, help: ArgumentHelp("Set metadata for an image.", valueName: "list")) var label: [String] = []
    @Option(name: .long, help: ArgumentHelp("Write the image ID to the file.", valueName: "string")) var iidfile: String?
    @Option(name: .long, help: ArgumentHelp("Set type of progress output (auto, plain, quiet).", valueName: "string")) var progress = "auto"
    @Flag(name: [.short, .long], help: "Suppress the build output and print image ID on success.") var quiet = false
    @Option(name: .long, help: ArgumentHelp("Set the networking mode for the RUN instructions during build (none, host; default none).", valueName: "string")) var network: String?
    @Flag(name: .long, help: "Check the Dockerfile for lint findings (no build): exit 1 when there are any.") var check = false
    @Argument(help: ArgumentHelp("The build context directory.", valueName: "PATH"), completion: .directory) var context: String

    func validate() throws {
        guard ["auto", "plain", "tty", "quiet", "rawjson"].contains(progress) else {
            throw ValidationError("invalid progress mode \"\(progress)\": want auto, plain or quiet")
        }
        if let network, !["default", "none", "host"].contains(network) {
            throw ValidationError("network mode \"\(network)\" not supported by buildkit (use default, none or host)")
        }
        for t in tag {
            guard (try? ImageReference(parsing: t)) != nil else {
                throw ValidationError("invalid argument \"\(t)\" for \"-t, --tag\" flag: invalid reference format")
            }
        }
        for l in label where !l.contains("=") && l.isEmpty { throw ValidationError("invalid label \"\(l)\"") }
    }

    func run() throws {
        do { try build() } catch let e as DockerfileError {
            writeStderr(ErrorText.line(e.description))
            throw ExitCode(1)
        } catch let e as CNCError {
            writeStderr(ErrorText.line(e.description))
            throw ExitCode(1)
        }
    }

    private func build() throws {
        guard FileSystem.isDirectory(context) else {
            throw CNCError(.notFound, "unable to prepare context: path \"\(context)\" not found")
        }
        let (dockerfile, dockerfilePath) = try readDockerfile()
        var args: [String: String] = [:]
        for a in buildArg {
            let kv = a.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2 { args[String(kv[0])] = String(kv[1]) } else if let v = Host.environment(a) { args[a] = v }
        }
        let arguments = BuildArguments(values: args)
        let findings = Lint.check(dockerfile, arguments: arguments, target: target)
        if check {
            for f in findings { print(f.description) }
            if !findings.isEmpty { throw ExitCode(1) }
            return
        }
        let mode: BuildProgress.Mode = quiet || progress == "quiet" ? .quiet : .plain
        let out = BuildProgress(mode: mode)
        for w in dockerfile.warnings { writeStderr("WARNING: \(dockerfile.path):\(w.line): \(w.message)\n") }
        if mode == .plain { for f in findings { writeStderr("WARNING: \(f.description)\n") } }
        if dockerfile.checkDirective.error, !findings.isEmpty {
            throw CNCError(.invalidArgument, "lint violation found for rules: \(Set(findings.map(\.rule)).sorted().joined(separator: ", "))")
        }
        let ignoreFile = DockerIgnore.file(context: context, dockerfile: dockerfilePath, exists: FileSystem.exists)
        let ignore = try ignoreFile.map { DockerIgnore(text: try FileSystem.readText($0)) } ?? DockerIgnore(patterns: [])
        var request = BuildRequest(context: context, dockerfile: dockerfile, arguments: arguments, ignore: ignore)
        request.target = target
        request.tags = try tag.map { try ImageReference(parsing: $0) }
        request.noCache = noCache
        request.network = network == "host" ? .host : .none
        for l in label {
            let kv = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            request.labels[String(kv[0])] = kv.count == 2 ? String(kv[1]) : ""
        }
        let runtime = try ContainerEngine.runtime(global.engineConfig())
        let root = global.stateRoot
        BuildSweep.sweep(runtime: runtime, stateRoot: root)
        let quietPull = mode == .quiet
        let builder = try Builder(request, store: try global.imageStore(), runtime: runtime, progress: out) { ref in
            try RegistryPullProcess.pull(ref, stateRoot: root, options: quietPull ? ["--quiet"] : [], progress: quietPull ? nil : 2)
        }
        let image = try builder.build()
        if let unused = try? BuildGraph(dockerfile, arguments: arguments).unconsumedBuildArgs(target: target), !unused.isEmpty {
            writeStderr("[Warning] One or more build-args [\(unused.joined(separator: " "))] were not consumed\n")
        }
        for t in request.tags { global.recordImageEvent("tag", id: image.id.description, name: t.familiar) }
        if let iidfile { try FileSystem.writeAtomically(image.id.description, to: iidfile) }
        if mode == .quiet { print(image.id.description) }
    }

    /// The Dockerfile: `-f -` from stdin, `-f PATH`, else CONTEXT/Dockerfile.
    private func readDockerfile() throws -> (Dockerfile, String?) {
        if file == "-" {
            let bytes = try FileStream.standardInput().readAllBytes()
            return (try parse(bytes, name: "Dockerfile"), nil)
        }
        let path = file ?? (context.hasSuffix("/") ? context : context + "/") + "Dockerfile"
        guard FileSystem.exists(path) else {
            throw CNCError(.notFound, "failed to read dockerfile: open \(file ?? "Dockerfile"): no such file or directory")
        }
        return (try parse(try FileSystem.readBytes(path), name: file.map(FileSystem.baseName) ?? "Dockerfile"), path)
    }

    private func parse(_ bytes: [UInt8], name: String) throws -> Dockerfile {
        try DockerfileParser.parse(bytes, path: name)
    }
}
