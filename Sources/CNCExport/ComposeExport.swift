import CNCCore
import CNCSpec

/// `--to compose`: the normalized spec without `x-cnc` (valid against the Compose JSON Schema).
/// `--to swarm`: a Compose file `docker stack deploy` takes (format 3.9): what a swarm cannot
/// express is left out and reported.
struct ComposeExport {
    let loaded: LoadedSpec
    let target: ExportTarget
    let inputs: ExportInputs
    var images: ImagePinning
    var losses: [ExportLoss] = []
    var written: WrittenKeys

    init(_ loaded: LoadedSpec, target: ExportTarget, inputs: ExportInputs, options: ExportOptions) {
        self.loaded = loaded
        self.target = target
        self.inputs = inputs
        written = WrittenKeys(loaded.sourceMap, services: loaded.app.services.keys)
        images = ImagePinning(registry: options.imageRegistry, lookup: inputs.image)
    }

    mutating func run() throws -> ExportResult {
        guard case .object(var root) = try loaded.app.jsonValue() else { return ExportResult(objects: [], losses: [], pushes: []) }
        root["x-cnc"] = nil
        lost("x-cnc", "cnc's own settings (x-cnc) are not part of \(target == .swarm ? "a stack file" : "Compose")")
        var services: [String: JSONValue] = [:]
        for (name, svc) in loaded.app.services {
            guard case .object(var s)? = root["services"]?.objectValue?[name] else { continue }
            s["x-cnc"] = nil
            lost("services.\(name).x-cnc", "cnc's own settings (x-cnc) are not part of \(target == .swarm ? "a stack file" : "Compose")")
            if target == .swarm, let ref = loaded.app.builtImageName(service: name) ?? svc.image {
                // docker stack deploy does not build: a build's image is the one cnc built, pinned.
                s["image"] = .string(images.reference(ref))
                if let why = images.unpullable(ref, built: svc.build != nil) { lostAlways("services.\(name).image", why) }
            } else if let ref = svc.image {
                // Compose builds and tags `image:` itself: a build's image is named, not pinned.
                s["image"] = .string(svc.build == nil ? images.reference(ref) : ref.familiar)
            }
            if !svc.cnc.export { s["ports"] = nil }
            if target == .swarm { s = swarmService(name, svc, s) }
            services[name] = .object(s)
        }
        root["services"] = .object(services)
        if target == .swarm { root = swarmTopLevel(root) }
        let file = target == .swarm ? "stack.yaml" : "compose.yaml"
        return ExportResult(objects: [ExportedObject(fileName: file, value: .object(root))], losses: losses,
                            pushes: images.pushes.sorted { $0.destination.description < $1.destination.description })
    }

    mutating func lost(_ path: String, _ why: String) {
        if written.contains(path) { losses.append(ExportLoss(path, target, why)) }
    }

    mutating func lostAlways(_ path: String, _ why: String) { losses.append(ExportLoss(path, target, why)) }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
}
