import CNCCore
import CNCRuntime

/// Wires the runtime to this engine's roots (and, when they land, to the image store and the
/// network driver): the one place that builds a Runtime for the CLI and the reconciler.
public enum ContainerEngine {
    public static func runtime(_ config: EngineConfig) throws -> Runtime {
        try Runtime(stateRoot: config.stateRoot, runRoot: config.runRoot)
    }
}
