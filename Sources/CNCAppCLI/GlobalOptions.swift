import ArgumentParser
import CNCCore
import CNCEngine
import CNCRuntime
import CNCSystem
import Logging
import Synchronization

/// Options every cnc and cncapply command takes.
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp(
        "Directory for all cnc state (env CNC_ROOT; default /var/lib/cnc).", valueName: "dir"), completion: .directory)
    public var root: String?

    @Option(name: .long, help: ArgumentHelp(
        "Log detail on stderr: trace, debug, info, notice, warning (default), error, critical (env CNC_LOG_LEVEL).",
        valueName: "level"))
    public var logLevel: LogLevelArgument?

    @Option(name: .long, help: ArgumentHelp(
        "Cgroup driver: systemd, cgroupfs or auto (default; env CNC_CGROUP_MANAGER): systemd when PID 1 is systemd and its bus answers.",
        valueName: "manager"))
    public var cgroupManager: String?

    public init() {}

    /// The state root: --root, else $CNC_ROOT, else /var/lib/cnc.
    public var stateRoot: String { Self.stateRoot(root) }

    public static func stateRoot(_ root: String?) -> String { Runtime.stateRoot(option: root) }

    /// The engine configuration these options describe, logging to stderr.
    public func engineConfig(label: String = "cnc") -> EngineConfig {
        var c = Self.engineConfig(root: root, logLevel: logLevel, label: label)
        c.cgroupManager = cgroupManager
        return c
    }

    /// The engine configuration for `root` and `logLevel` (nil: the environment's, or the default).
    public static func engineConfig(root: String?, logLevel: LogLevelArgument?, label: String = "cnc") -> EngineConfig {
        let level = logLevel?.level
            ?? Host.environment("CNC_LOG_LEVEL").flatMap { LogLevelArgument(argument: $0) }?.level ?? .warning
        var logger = Logger(label: label) { CountingLogHandler(inner: StreamLogHandler.standardError(label: $0)) }
        logger.logLevel = level
        return EngineConfig(stateRoot: stateRoot(root), logger: logger)
    }
}

/// A `--log-level` value.
public struct LogLevelArgument: ExpressibleByArgument, Sendable {
    public let level: Logger.Level
    public static let warning = LogLevelArgument(level: .warning)

    init(level: Logger.Level) { self.level = level }

    public init?(argument: String) {
        guard let l = Logger.Level(rawValue: argument.lowercased()) else { return nil }
        level = l
    }

    public var defaultValueDescription: String { level.rawValue }
    public static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
}

/// stderr's log handler, counting what it writes: a no-op apply that logged anything is not
/// recorded (NoopRecord replays stdout only).
struct CountingLogHandler: LogHandler {
    static let written = Atomic<Int>(0)
    var inner: any LogHandler

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }
    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }
    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        Self.written.add(1, ordering: .relaxed)
        inner.log(event: event)
    }
}
