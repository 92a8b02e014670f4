import CNCCore
import CNCImage
import CNCNetworkAttach
import CNCNftables
import CNCRuntime
import CNCSystem

/// Wires the runtime to this engine's roots (and, when they land, to the image store and the
/// network driver): the one place that builds a Runtime for the CLI and the reconciler.
public enum ContainerEngine {
    public static func runtime(_ config: EngineConfig) throws -> Runtime {
        var rt = try Runtime(stateRoot: config.stateRoot, runRoot: config.runRoot, cgroups: try config.cgroupDriver().manager)
        rt.network = Rootless.isActive ? RootlessAttacher(stateRoot: config.stateRoot, manager: .inProcess(root: config.stateRoot)) as any NetworkAttacher
            : EngineNetworkAttacher(stateRoot: config.stateRoot, manager: .inProcess(root: config.stateRoot))
        return rt
    }
}

extension ContainerEngine {
    /// Resolves `reference` in the local image store and unpacks its layers (cached by chain
    /// ID). A missing image is a `.notFound` error that says how to get it.
    public static func image(_ config: EngineConfig, _ reference: String) throws -> ImageDefaults {
        let store = try ImageStore(stateRoot: config.stateRoot)
        let image: ResolvedImage
        do { image = try store.resolve(reference) } catch let e as CNCError where e.code == .notFound {
            throw CNCError(.notFound, "Unable to find image '\(reference)' locally (pull it first: cnc pull \(reference))", cause: e.description)
        }
        return try defaults(of: image, in: store, reference: reference)
    }

    /// True when the store has `reference` (a name, ID or digest), whatever state its layers are in.
    public static func hasImage(_ config: EngineConfig, _ reference: String) -> Bool {
        guard let store = try? ImageStore(stateRoot: config.stateRoot) else { return false }
        return (try? store.resolve(reference)) != nil
    }

    /// The defaults and unpacked lowers of an image already resolved in `store`.
    public static func defaults(of image: ResolvedImage, in store: ImageStore, reference: String) throws -> ImageDefaults {
        ImageDefaults(image, lowerDirs: try store.prepareRootfs(image), reference: reference)
    }
}
