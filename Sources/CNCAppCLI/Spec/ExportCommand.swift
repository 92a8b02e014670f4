import ArgumentParser
import CNCCore
import CNCEngine
import CNCExport
import CNCImage
import CNCSpec
import CNCSystem
import Foundation

/// `cncapply export`: the app as Kubernetes objects, a swarm stack file or a normalized Compose
/// file, compiled as apply compiles it; every key the target cannot express is reported.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the app to Kubernetes, Docker Swarm or Compose; report every key that does not carry over.",
        discussion: """
        EXAMPLES
          cncapply export --to kubernetes
          cncapply export -f app.yaml --to kubernetes -o k8s/ --namespace shop
          cncapply export --to swarm --image-registry registry.example.com --push -o stack/
          cncapply export -p shop --to compose --strict
        """)

    enum Target: String, ExpressibleByArgument, CaseIterable { case kubernetes, swarm, compose }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @OptionGroup var registry: PullFlags

    @Option(name: .customLong("to"), help: "Target: kubernetes, swarm (a Compose file for docker stack deploy) or compose.")
    var target: Target

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write one file per object into this directory (kubernetes: plus kustomization.yaml) instead of one YAML stream on stdout.", valueName: "dir"))
    var outputDirectory: String?

    @Option(name: .customLong("namespace"), help: ArgumentHelp("Kubernetes namespace (default: the app's name).", valueName: "ns"))
    var namespace: String?

    @Option(name: .customLong("image-registry"), help: ArgumentHelp(
        "Rewrite the references of local images (not pulled from a registry) to REG/NAME:TAG.", valueName: "reg"))
    var imageRegistry: String?

    @Flag(help: "Push the rewritten images to --image-registry with cnc's registry client.")
    var push = false

    @Flag(help: "Keys that do not carry over are errors: exit 1, write nothing.")
    var strict = false

    @Flag(name: .customLong("no-build"), help: "Don't build the build: services; export the images they were last built as (they must be in the store).")
    var noBuild = false

    func validate() throws {
        if push, imageRegistry == nil { throw ValidationError("--push needs --image-registry (where to push the app's local images)") }
        if namespace != nil, target != .kubernetes { throw ValidationError("--namespace applies to --to kubernetes only") }
    }

    func run() async throws {
        let loaded = try await spec.recordedIfNamed(stateRoot: global.stateRoot).loadReporting()
        let exportTarget = ExportTarget(rawValue: target.rawValue) ?? .kubernetes
        let options = ExportOptions(target: exportTarget, namespace: namespace, imageRegistry: imageRegistry)
        try Exporter.validate(options)
        // A cluster does not build: build: services are built first (Compose keeps build:).
        if exportTarget != .compose, !noBuild, !loaded.app.builtServices.isEmpty { try build(loaded) }
        let result = try Exporter.export(loaded, options: options, inputs: inputs(loaded))
        let diagnostics = result.losses.map { $0.diagnostic(loaded.sourceMap) }.sorted()
        writeStderr(diagnostics.map { $0.description + "\n" }.joined())
        if strict, !diagnostics.isEmpty { throw ExitCode(1) }
        if push {
            for p in result.pushes {
                let store = try global.imageStore()
                _ = try store.tag(p.source.description, as: p.destination)
                try RegistryPullProcess.push(p.destination.description, stateRoot: global.stateRoot, options: ["--quiet"], progress: nil)
            }
        }
        guard let dir = outputDirectory else {
            print(Exporter.multiDocument(result, target: exportTarget), terminator: "")
            return
        }
        try FileSystem.createDirectory(dir)
        for f in Exporter.files(result, target: exportTarget) {
            try FileSystem.writeAtomically(f.text, to: dir + "/" + f.name)
        }
    }

    /// Builds the app's `build:` services as apply does (the same builder and cache as `cnc
    /// build`), progress on stderr: stdout is the export.
    private func build(_ loaded: LoadedSpec) throws {
        let root = global.stateRoot, registry = self.registry
        let config = global.engineConfig(label: "cncapply")
        try FileSystem.createDirectory(root, mode: 0o711)
        let store = try ImageStore(stateRoot: root)
        _ = try ServiceBuilds(
            app: loaded.app, projectDirectory: loaded.projectDirectory, stateRoot: root, store: store,
            runtime: try ContainerEngine.runtime(config),
            pull: { ref in _ = try registry.pull(try ImageReference(parsing: ref), stateRoot: root, store: store) },
            note: { writeStderr($0 + "\n") }, showProgress: true).buildAll()
    }

    /// The store's images (read only: a root without a store has none) and the files configs name.
    private func inputs(_ loaded: LoadedSpec) -> ExportInputs {
        let root = global.stateRoot
        let store: ImageStore? = FileSystem.exists(ImageStorePaths(stateRoot: root).index) ? try? ImageStore(stateRoot: root) : nil
        return ExportInputs(
            image: { ref in
                guard let image = try? store?.resolve(ref.description) else { return nil }
                return StoredImage(manifestDigest: image.manifestDigest, repoDigests: image.repoDigests)
            },
            readFile: { path in (try? FileSystem.readBytes(path)) },
            environment: loaded.variables.filter { !loaded.sealedVariables.contains($0.key) })
    }
}
