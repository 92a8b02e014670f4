import ArgumentParser
import CNCAppCLI
import CNCBuild
import CNCBuilder
import CNCCore
import CNCEngine
import CNCImage
import CNCStart
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
              cnc build --secret id=token,src=token.txt -t app:1 .
              cnc build -o type=docker,dest=app.tar -t app:1 .
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
    @Option(name: .long, help: ArgumentHelp("Set the networking mode for the RUN instructions during build (default: the default bridge; none; host).", valueName: "string")) var network: String?
    @Flag(name: .long, help: "Always attempt to pull all referenced images.") var pull = false
    @Option(name: .long, help: ArgumentHelp("Add a custom host-to-IP mapping (\"host:ip\").", valueName: "list")) var addHost: [String] = []
    @Option(name: .long, help: ArgumentHelp("Size of \"/dev/shm\".", valueName: "bytes")) var shmSize: String?
    @Option(name: .long, help: ArgumentHelp("Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\").", valueName: "stringArray")) var secret: [String] = []
    @Option(name: [.short, .long], help: ArgumentHelp("Output destination (format: \"type=oci|docker,dest=FILE\"; dest=- is standard output).", valueName: "stringArray")) var output: [String] = []
    @Flag(name: .long, help: "Reproducible output: SOURCE_DATE_EPOCH (build arg or environment), else 0, clamps layer times and sets the created times.") var reproducible = false
    @Flag(name: .long, help: "Check the Dockerfile for lint findings (no build): exit 1 when there are any; -o json prints them as JSON.") var check = false
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
        for h in addHost where !(h.contains(":") || h.contains("=")) || h.hasPrefix(":") || h.hasPrefix("=") {
            throw ValidationError("invalid argument \"\(h)\" for \"--add-host\" flag: bad format for add-host: \"\(h)\"")
        }
        if let shmSize, (try? ByteSize(parsing: shmSize)) == nil {
            throw ValidationError("invalid argument \"\(shmSize)\" for \"--shm-size\" flag: invalid size: '\(shmSize)'")
        }
    }

    func run() throws {
        do { try build() } catch let e as BuildCanceled {
            writeStderr("ERROR: \(e.description)\n")
            throw ExitCode(BuildCanceled.exitStatus)
        } catch let e as DockerfileError {
            writeStderr(ErrorText.line(e.description))
            throw ExitCode(1)
        } catch let e as CNCError {
            writeStderr(ErrorText.line(e.description))
            throw ExitCode(1)
        }
    }

    private func build() throws {
        let started = Processes.wallNanos()
        var stderrText = ""
        func warn(_ line: String) {
            writeStderr(line)
            stderrText += line
        }
        var args: [String: String] = [:]
        for a in buildArg {
            let kv = a.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if kv.count == 2 { args[String(kv[0])] = String(kv[1]) } else if let v = Host.environment(a) { args[a] = v }
        }
        var request = try BuildRequest.load(context: context, dockerfile: try dockerfileSource(), buildArgs: args)
        request.target = target
        let findings = request.findings
        if check {
            // `-o json` for CI: the findings as BuildKit's check result names them
            // (`warnings`, each with `ruleName`, `detail` and where).
            switch output {
            case []: for f in findings { print(f.description) }
            case ["json"]: print(try CanonicalJSON.string(CheckReport(findings), pretty: true), terminator: "")
            default: throw CNCError(.invalidArgument, "--check takes -o json (or no -o) only, not -o \(output.joined(separator: ","))")
            }
            if !findings.isEmpty { throw ExitCode(1) }
            return
        }
        let mode: BuildProgress.Mode = quiet || progress == "quiet" ? .quiet : .plain
        let out = BuildProgress(mode: mode)
        for w in request.dockerfile.warnings { warn("WARNING: \(request.dockerfile.path):\(w.line): \(w.message)\n") }
        if mode == .plain { for f in findings { warn("WARNING: \(f.description)\n") } }
        if let failure = request.checkDirectiveFailure(findings) { throw failure }
        request.tags = try tag.map { try ImageReference(parsing: $0) }
        request.noCache = noCache
        request.network = network.flatMap { .init(rawValue: $0) } ?? .default
        request.pull = pull
        request.extraHosts = addHost
        request.secrets = try BuildRequest.readSecrets(try secret.map { try BuildSecret.parse($0, environment: Host.environment) },
                                                       environment: Host.environment)
        let epochText = args["SOURCE_DATE_EPOCH"] ?? Host.environment("SOURCE_DATE_EPOCH")
        if let epochText, !epochText.isEmpty {
            guard let epoch = Int64(epochText), epoch >= 0 else {
                throw CNCError(.invalidArgument, "invalid SOURCE_DATE_EPOCH: \(epochText)")
            }
            request.sourceDateEpoch = epoch
        } else if reproducible {
            request.sourceDateEpoch = 0
        }
        request.shmSize = try shmSize.map { try ByteSize(parsing: $0).bytes }
        for l in label {
            let kv = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            request.labels[String(kv[0])] = kv.count == 2 ? String(kv[1]) : ""
        }
        let export = try BuildOutput.parse(output)
        var exportNames: [ImageReference] = []
        if let export {
            // buildx: an archive exporter writes the file instead of loading the image; the
            // tags name the image inside the archive only.
            exportNames = request.tags
            request.tags = []
            if export.dest == "-", FileStream.standardOutput().isTerminal {
                throw CNCError(.invalidArgument, "output file is required for \(export.type.rawValue) exporter. refusing to write to console")
            }
        }
        let runtime = try ContainerEngine.runtime(global.engineConfig())
        let root = global.stateRoot
        let quietPull = mode == .quiet
        let store = try global.imageStore()
        let indexBefore = FileSystem.identity(store.paths.index)
        let image = try Builder.run(request, store: store, runtime: runtime, progress: out, reportsInterrupt: true) { ref in
            try RegistryPullProcess.pull(ref, stateRoot: root, options: quietPull ? ["--quiet"] : [], progress: quietPull ? nil : 2)
        }
        stderrText += String(decoding: out.writtenBytes, as: UTF8.self)
        if let unused = request.unconsumedArgsWarning { warn(unused + "\n") }
        for t in request.tags { global.recordImageEvent("tag", id: image.id.description, name: t.familiar) }
        if let iidfile { try FileSystem.writeAtomically(image.id.description, to: iidfile) }
        if let export { try export.write(image, names: exportNames, store: store) }
        if mode == .quiet, export?.dest != "-" { print(image.id.description) }
        // A replay of the build result: the front may replay this very invocation next time.
        if let replay = out.replay, export == nil, let invocation = BuildReplayTicket.BuildInvocation(Array(Swift.CommandLine.arguments.dropFirst())) {
            var ticket = BuildReplayTicket.Ticket()
            ticket.kept = replay.read.map { ($0.path, $0.identity) } + replay.blobs.map { ($0, nil) }
            ticket.touched = replay.touched
            ticket.events = request.tags.map { ("tag", image.id.description, $0.familiar) }
            ticket.imageID = image.id.description
            ticket.stdout = mode == .quiet ? image.id.description + "\n" : ""
            ticket.stderr = stderrText
            BuildReplayTicket.save(ticket, invocation: invocation, stateRoot: root, started: started, index: indexBefore)
        }
    }

    /// The Dockerfile: `-f -` from stdin, `-f PATH`, else CONTEXT/Dockerfile.
    private func dockerfileSource() throws -> DockerfileSource {
        if file == "-" {
            let bytes = try FileStream.standardInput().readAllBytes()
            return .text(String(decoding: bytes, as: UTF8.self), display: "Dockerfile")
        }
        let path = file ?? (context.hasSuffix("/") ? context : context + "/") + "Dockerfile"
        return .file(path: path, display: file.map(FileSystem.baseName) ?? "Dockerfile", given: file ?? "Dockerfile")
    }
}

/// `cnc build --check -o json`: BuildKit's check result shape (`docker build
/// --call=check,format=json`), with the location as file and line.
struct CheckReport: Encodable {
    struct Warning: Encodable {
        struct Location: Encodable {
            var file: String
            var line: Int
        }
        var ruleName: String
        var detail: String
        var location: Location
    }
    var warnings: [Warning]

    init(_ findings: [LintFinding]) {
        warnings = findings.map { Warning(ruleName: $0.rule, detail: $0.message, location: .init(file: $0.file, line: $0.line)) }
    }
}
