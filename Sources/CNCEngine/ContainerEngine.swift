import CNCCore
import CNCImage
import CNCRuntime

/// Wires the runtime to this engine's roots (and, when they land, to the image store and the
/// network driver): the one place that builds a Runtime for the CLI and the reconciler.
public enum ContainerEngine {
    public static func runtime(_ config: EngineConfig) throws -> Runtime {
        var rt = try Runtime(stateRoot: config.stateRoot, runRoot: config.runRoot)
        rt.network = EngineNetworkAttacher(stateRoot: config.stateRoot)
        return rt
    }
}

/// What an image contributes to a `cnc run`/`create`: its unpacked lowers and its defaults.
public struct ImageDefaults: Sendable {
    public var reference: String
    public var id: String
    public var lowerDirs: [String]
    public var env: [String]
    public var entrypoint: [String]
    public var cmd: [String]
    public var workingDir: String?
    public var user: String?
    public var stopSignal: String?
    public var healthcheck: [String]?
    public var healthInterval: Int64?
    public var healthTimeout: Int64?
    public var healthStartPeriod: Int64?
    public var healthRetries: Int?
    public var volumes: [String]
    public var labels: [String: String]
    /// EXPOSE: "80/tcp", "53/udp" (what `-P` publishes).
    public var exposedPorts: [String] = []

    /// A plain root filesystem directory as the image (`--rootfs`): no defaults.
    public static func rootfs(_ dir: String, reference: String) -> ImageDefaults {
        ImageDefaults(reference: reference, id: "", lowerDirs: [dir], env: [], entrypoint: [], cmd: [], volumes: [], labels: [:])
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

    /// The defaults and unpacked lowers of an image already resolved in `store`.
    public static func defaults(of image: ResolvedImage, in store: ImageStore, reference: String) throws -> ImageDefaults {
        let lowers = try store.prepareRootfs(image)
        let c = image.config.config
        var d = ImageDefaults(
            reference: reference, id: image.id.description, lowerDirs: lowers, env: c?.env ?? [],
            entrypoint: c?.entrypoint ?? [], cmd: c?.cmd ?? [], workingDir: c?.workingDir, user: c?.user,
            stopSignal: c?.stopSignal, healthcheck: c?.healthcheck?.test, healthInterval: c?.healthcheck?.interval,
            healthTimeout: c?.healthcheck?.timeout, healthStartPeriod: c?.healthcheck?.startPeriod,
            healthRetries: c?.healthcheck?.retries, volumes: (c?.volumes ?? [:]).keys.sorted(), labels: c?.labels ?? [:])
        d.exposedPorts = (c?.exposedPorts ?? [:]).keys.sorted()
        return d
    }
}
