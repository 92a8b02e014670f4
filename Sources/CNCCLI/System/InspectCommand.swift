import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork
import CNCRuntime

/// `cnc inspect` (docker's top-level `inspect`): any kind of object by name or ID — a
/// container, an image, a network or a volume, tried in that order as docker's CLI tries them,
/// or only the kind `--type` names. Each object's document is the one its own `inspect`
/// command prints; mixed kinds go in one array (or through `--format`, one line each).
struct TopLevelInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Return low-level information on cnc objects.",
        discussion: "EXAMPLES\n  cnc inspect web\n  cnc inspect --format '{{.State.Pid}}' web\n  cnc inspect --type image busybox\n  cnc inspect -f '{{.Name}}' web mynet myvolume")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("f"), .long], help: "Format the output using the given Go template.") var format: String?
    @Option(name: .long, help: "Only inspect objects of the given type (container, image, network, volume).",
            completion: .list(Kind.allCases.map(\.rawValue))) var type: String?
    @Argument(help: "Names or IDs of containers, images, networks or volumes.", completion: .containerNames) var names: [String]

    enum Kind: String, CaseIterable { case container, image, network, volume }

    /// docker's other kinds: swarm objects and plugins, which cnc does not have.
    static let swarmKinds = ["config", "node", "plugin", "secret", "service", "task"]

    func run() throws {
        try dockerErrors {
            let kinds: [Kind]
            if let type {
                guard let kind = Kind(rawValue: type) else {
                    if Self.swarmKinds.contains(type) { throw CNCError(.unsupported, "inspect --type \(type) is not supported yet: cnc has containers, images, networks and volumes") }
                    let known = (Self.swarmKinds + Kind.allCases.map(\.rawValue)).sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                    throw CNCError(.invalidArgument, "unknown type: \"\(type)\": must be one of \(known)")
                }
                kinds = [kind]
            } else {
                kinds = Kind.allCases
            }
            let finder = Finder(global: global)
            try InspectOutput.emit(names, format: format) { ref in
                for kind in kinds {
                    do { return try finder.document(kind, ref) } catch let e as CNCError where e.code == .notFound || (e.code == .invalidArgument && kinds.count > 1) {
                        if kinds.count == 1 { throw e }
                    }
                }
                throw CNCError(.notFound, "No such object: \(ref)")
            }
        }
    }

    /// Opens each store when first needed: `cnc inspect web` never reads the image index.
    final class Finder {
        let global: GlobalOptions
        private var runtime: Runtime?

        init(global: GlobalOptions) { self.global = global }

        func document(_ kind: Kind, _ ref: String) throws -> JSONValue {
            switch kind {
            case .container:
                let r = try openRuntime()
                return ContainerInspect.document(try r.container(ref), runtime: r)
            case .image:
                return ContainerInspect.json(ImageInspect.view(try global.imageStore().resolve(ref)))
            case .network:
                if let p = PredefinedNetworks.pseudo(ref) { return PredefinedNetworks.document(p) }
                let manager = global.networkManager()
                do { return try NetworkInspect.document(try manager.network(ref), manager: manager) } catch let e as CNCError where e.code == .notFound {
                    throw CNCError(.notFound, "network \(ref) not found")
                }
            case .volume:
                let store = try openRuntime().volumes
                do { return VolumeText.document(try store.volume(ref), store: store) } catch let e as CNCError where e.code == .notFound {
                    throw CNCError(.notFound, "get \(ref): no such volume")
                }
            }
        }

        private func openRuntime() throws -> Runtime {
            if let runtime { return runtime }
            let r = try global.runtime()
            runtime = r
            return r
        }
    }
}
