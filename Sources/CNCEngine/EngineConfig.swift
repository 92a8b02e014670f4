import CNCCore
import Logging

/// Everything the engine takes from outside — roots, logger — passed in, never global.
public struct EngineConfig: Sendable {
    /// All persistent state (images, containers, state.db, networks). Default /var/lib/cnc.
    public var stateRoot: String
    /// Runtime state (pids, sockets). Default /run/cnc, or <stateRoot>/run for a custom root.
    public var runRoot: String
    public var logger: Logger

    public static let defaultStateRoot = "/var/lib/cnc"
    public static let defaultRunRoot = "/run/cnc"

    public init(stateRoot: String = defaultStateRoot, runRoot: String? = nil, logger: Logger = Logger(label: "cnc")) {
        self.stateRoot = stateRoot
        // Isolated roots (tests, side-by-side instances) get their own runtime directory too.
        self.runRoot = runRoot ?? (stateRoot == Self.defaultStateRoot ? Self.defaultRunRoot : stateRoot + "/run")
        self.logger = logger
    }
}
