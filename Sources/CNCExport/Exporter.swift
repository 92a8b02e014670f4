import CNCCore
import CNCSpec

/// `cncapply export`: a pure function of the compiled spec (compiled as apply compiles it) and
/// what the image store says about its images. No container, image or state changes; the same
/// spec and store give the same bytes.
public enum Exporter {
    /// An app with values from encrypted files is not exported: a manifest or stack file would
    /// carry them in clear (or, worse, carry the redactions or the ciphertext as if they were
    /// the values). Secret references without values are not built yet.
    public static func refuseSealed(_ app: AppSpec) throws {
        var items: [String] = []
        for (name, s) in app.services.sorted(by: { $0.key < $1.key }) {
            for k in s.sealedEnvironment.keys.sorted() {
                let shown = (s.environment[k] ?? nil) ?? ""
                items.append("services.\(name).environment.\(k) (\(shown))")
            }
        }
        for (key, c) in app.secrets.sorted(by: { $0.key < $1.key }) {
            if let f = c.file, let sealed = app.sealedFiles[f] { items.append("secrets.\(key) (\(sealed.shown))") }
        }
        guard !items.isEmpty else { return }
        throw CNCError(.unsupported, "not supported yet: exporting values from encrypted files (export writes no secret values, and Secret references without them are not built yet): " + items.joined(separator: ", "))
    }

    public static func export(_ loaded: LoadedSpec, options: ExportOptions, inputs: ExportInputs = ExportInputs()) throws -> ExportResult {
        try validate(options)
        try refuseSealed(loaded.app)
        if options.target != .compose { try requireBuilt(loaded.app, inputs) }
        switch options.target {
        case .kubernetes:
            var k = try KubernetesExport(loaded, inputs: inputs, options: options)
            return try k.run()
        case .compose, .swarm:
            var c = ComposeExport(loaded, target: options.target, inputs: inputs, options: options)
            return try c.run()
        }
    }

    /// The options' errors (found before anything is built).
    public static func validate(_ options: ExportOptions) throws {
        if let reg = options.imageRegistry { try ImagePinning.validate(registry: reg) }
        if options.namespace != nil, options.target != .kubernetes {
            throw CNCError(.invalidArgument, "--namespace applies to --to kubernetes only")
        }
    }

    /// A cluster does not build: each `build:` service is exported as the image cnc's builder
    /// made of it (`cncapply export` builds them first), which must be in the store.
    static func requireBuilt(_ app: AppSpec, _ inputs: ExportInputs) throws {
        for (name, _, _) in app.builtServices {
            guard let ref = app.builtImageName(service: name), inputs.image(ref) == nil else { continue }
            throw CNCError(.invalidSpec, "services.\(name).build: image \(ref.familiar) is not built: build it (cncapply export builds it) before exporting")
        }
    }

    /// One multi-document YAML (stdout without `-o`): each object after `---`.
    public static func multiDocument(_ result: ExportResult, target: ExportTarget) -> String {
        let writer = writer(target)
        return result.objects.map { "---\n" + writer.string($0.value) }.joined()
    }

    /// Compose files interpolate `$`, so theirs are written `$$`; Kubernetes objects as they are.
    static func writer(_ target: ExportTarget) -> YAMLWriter { YAMLWriter(escapeDollars: target != .kubernetes) }

    /// The files of `-o DIR`: one per object, and for Kubernetes a kustomization.yaml listing them.
    public static func files(_ result: ExportResult, target: ExportTarget) -> [(name: String, text: String)] {
        let writer = writer(target)
        var out = result.objects.map { (name: $0.fileName, text: writer.string($0.value)) }
        if target == .kubernetes {
            let k = J.o([("apiVersion", J.s("kustomize.config.k8s.io/v1beta1")), ("kind", J.s("Kustomization")),
                         ("resources", J.strings(result.objects.map(\.fileName)))])
            out.append((name: "kustomization.yaml", text: YAMLWriter().string(k)))
        }
        return out
    }
}
