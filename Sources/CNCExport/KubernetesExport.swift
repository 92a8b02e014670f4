import CNCCore
import CNCSpec

/// `--to kubernetes`: a Namespace, per service a Deployment (DaemonSet for `deploy.mode: global`,
/// StatefulSet for replicas that own a named volume), Services named after the services,
/// ConfigMaps, Secrets, PersistentVolumeClaims and NetworkPolicies. Every key it cannot
/// express is a loss.
struct KubernetesExport {
    let app: AppSpec
    let map: SourceMap
    let inputs: ExportInputs
    let namespace: String
    var images: ImagePinning
    var losses: [ExportLoss] = []
    var objects: [ExportedObject] = []
    var written: WrittenKeys

    /// The image the waits for dependencies run (`nc` and `sh`).
    static let waitImage = "busybox:1.36"
    static let part = "app.kubernetes.io/part-of"
    static let nameLabel = "app.kubernetes.io/name"
    static let networkLabelPrefix = "networks.x-cnc/"

    init(_ loaded: LoadedSpec, inputs: ExportInputs, options: ExportOptions) throws {
        app = loaded.app
        map = loaded.sourceMap
        written = WrittenKeys(loaded.sourceMap, services: loaded.app.services.keys)
        self.inputs = inputs
        if let ns = options.namespace {
            guard KubeValues.isName(ns) else {
                throw CNCError(.invalidArgument, "invalid --namespace \"\(ns)\": a namespace is at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit")
            }
            namespace = ns
        } else {
            namespace = KubeValues.name(loaded.app.name)
        }
        images = ImagePinning(registry: options.imageRegistry, lookup: inputs.image)
    }

    mutating func run() throws -> ExportResult {
        addNamespace()
        try addConfigObjects()
        addClaims()
        for name in app.services.keys.sorted() {
            guard let svc = app.services[name] else { continue }
            try addService(name, svc)
        }
        addNetworkPolicies()
        let order = ["Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment", "StatefulSet", "DaemonSet", "NetworkPolicy"]
        objects.sort { a, b in
            let ka = order.firstIndex(of: Self.kind(a.value)) ?? order.count, kb = order.firstIndex(of: Self.kind(b.value)) ?? order.count
            return ka != kb ? ka < kb : a.fileName < b.fileName
        }
        return ExportResult(objects: objects, losses: losses, pushes: images.pushes.sorted { $0.destination.description < $1.destination.description })
    }

    static func kind(_ v: JSONValue) -> String {
        if case .object(let o) = v, case .string(let k)? = o["kind"] { return k }
        return ""
    }

    // MARK: helpers

    /// Reports `path` when the spec writes it.
    mutating func lost(_ path: String, _ why: String) {
        if written.contains(path) { losses.append(ExportLoss(path, .kubernetes, why)) }
    }

    /// Reports `path` whether written or not (a value that came from a default or a merge).
    mutating func lostAlways(_ path: String, _ why: String) { losses.append(ExportLoss(path, .kubernetes, why)) }

    func metadata(_ name: String, labels: [String: String] = [:], annotations: [String: String] = [:], namespaced: Bool = true) -> JSONValue {
        var l = labels
        l["app.kubernetes.io/managed-by"] = "cncapply"
        l[Self.part] = KubeValues.name(app.name)
        return J.o([("name", J.s(name)), ("namespace", namespaced ? J.s(namespace) : nil), ("labels", J.map(l)),
                    ("annotations", annotations.isEmpty ? nil : J.map(annotations))])
    }

    mutating func add(_ kind: String, _ apiVersion: String, _ name: String, metadata: JSONValue? = nil, _ fields: [(String, JSONValue?)]) {
        let v = J.o([("apiVersion", J.s(apiVersion)), ("kind", J.s(kind)), ("metadata", metadata ?? self.metadata(name))] + fields)
        objects.append(ExportedObject(fileName: "\(kind.lowercased())-\(name).yaml", value: v))
    }

    /// The pods' selector: the service and the app.
    func selector(_ service: String) -> [String: String] {
        [Self.nameLabel: KubeValues.name(service), Self.part: KubeValues.name(app.name)]
    }

    /// The service's Kubernetes name (reported when it had to change).
    mutating func kubeName(_ service: String) -> String {
        let n = KubeValues.name(service)
        if n != service { lostAlways("services.\(service)", "\"\(service)\" is not a valid Kubernetes name: exported as \"\(n)\", so other services cannot reach it as \"\(service)\"") }
        return n
    }

    private mutating func addNamespace() {
        var annotations: [String: String] = [:]
        if app.cnc.cgroupDriver != .auto { annotations["x-cnc/cgroup_driver"] = app.cnc.cgroupDriver.rawValue }
        if app.cnc.revisionHistory != CNCSettings().revisionHistory { annotations["x-cnc/revision_history"] = String(app.cnc.revisionHistory) }
        add("Namespace", "v1", namespace, metadata: metadata(namespace, annotations: annotations, namespaced: false), [])
    }

    /// The networks a service is on (none for network_mode host/none/service:/container:).
    func networks(of svc: ServiceSpec) -> [String] {
        if let mode = svc.networkMode {
            if case .bridge(let n) = mode { return n == "bridge" ? ["default"] : [n] }
            return []
        }
        return svc.networks.isEmpty ? ["default"] : svc.networks.keys.sorted()
    }
}
