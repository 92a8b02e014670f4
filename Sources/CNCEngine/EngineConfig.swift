import CNCCgroups
import CNCCore
import CNCRuntime
import Logging

/// Everything the engine takes from outside — roots, logger — passed in, never global.
public struct EngineConfig: Sendable {
    /// All persistent state (images, containers, state.db, networks). Default /var/lib/cnc.
    public var stateRoot: String
    /// Runtime state (pids, sockets). Default /run/cnc, or <stateRoot>/run for a custom root.
    public var runRoot: String
    public var logger: Logger
    /// `--cgroup-manager` (systemd, cgroupfs or auto), when given.
    public var cgroupManager: String?
    /// The spec's `x-cnc.cgroup_driver` (cncapply), when it names a driver.
    public var specCgroupDriver: CgroupDriverRequest?

    public static let defaultStateRoot = Runtime.defaultStateRoot

    public init(stateRoot: String = defaultStateRoot, runRoot: String? = nil, logger: Logger = Logger(label: "cnc")) {
        self.stateRoot = stateRoot
        self.runRoot = runRoot ?? Runtime.defaultRunRoot(stateRoot: stateRoot)
        self.logger = logger
    }
}
