import CNCCgroups
import CNCCore
import CNCSystem

/// Attaches a container's network namespace (by the pid of its init) to a network and detaches
/// it again: the seam CNCNetwork's bridge driver plugs into. Called after clone, before init is
/// released, so the workload starts with its interfaces up.
public protocol NetworkAttacher: Sendable {
    /// Refuses, at create, a container whose networks cannot be joined (docker's "network X not
    /// found" comes from create, before anything exists).
    func check(container: ContainerConfig) throws
    func attach(container: ContainerConfig, pid: Int32) throws
    func detach(container: ContainerConfig) throws
}

extension NetworkAttacher {
    public func check(container: ContainerConfig) throws {}
}

/// The built-in runtime: container lifecycle over cnc-init, cnc-monitor and a CgroupManager.
/// No daemon: every call works from the files under the state root.
public struct Runtime: Sendable {
    public let store: ContainerStore
    public let runRoot: String
    public let initBinary: String
    public let monitorBinary: String
    /// The cnc CLI the monitor runs (`cnc rm -f` for `run -d --rm`, the network hook).
    public let cliBinary: String
    public let cgroups: any CgroupManager
    let layout: CgroupLayout
    public var network: (any NetworkAttacher)?
    /// create(startsNext:) warms the cgroup migration lock once the cgroups are made; false
    /// when the caller warmed it already (the start path does so first thing).
    public var primesMigration = true
    /// `start` warms the cgroup migration lock (MigrationPrimer) once the container's cgroups
    /// exist, so the monitor's move of init into them finds it warm instead of waiting out an
    /// RCU grace period (~10 ms, more under load) on the start path. For callers that start
    /// containers without having warmed it (cncapply's RuntimeBackend); `cnc start` and `run`
    /// warm it themselves. CNC_NO_PRIME=1 turns it off.
    public var primesAtStart = false

    /// All persistent state (images, containers, state.db, networks) unless told otherwise.
    public static let defaultStateRoot = "/var/lib/cnc"

    /// The state root a command uses: `--root`, else $CNC_ROOT, else the default (rootless:
    /// $XDG_DATA_HOME/cnc).
    public static func stateRoot(option: String?) -> String {
        if let option, !option.isEmpty { return option }
        if let env = Host.environment("CNC_ROOT"), !env.isEmpty { return env }
        return Rootless.defaultStateRoot ?? defaultStateRoot
    }

    /// Runtime state (pids, sockets): /run/cnc for the default state root ($XDG_RUNTIME_DIR/cnc
    /// for the rootless one); isolated roots (tests, side-by-side instances) get their own,
    /// <stateRoot>/run.
    public static func defaultRunRoot(stateRoot: String) -> String {
        if stateRoot == defaultStateRoot { return "/run/cnc" }
        if let dir = Rootless.runtimeDirectory, stateRoot == Rootless.defaultStateRoot { return dir + "/run" }
        return stateRoot + "/run"
    }

    public init(stateRoot: String, runRoot: String, binDirectory: String? = nil, cgroups: (any CgroupManager)? = nil) throws {
        store = ContainerStore(root: stateRoot, runRoot: runRoot)
        self.runRoot = runRoot
        let dir = binDirectory ?? Host.helperDirectory
        initBinary = dir + "/cnc-init"
        monitorBinary = dir + "/cnc-monitor"
        // The full CLI directly (the `cnc` front would only exec it for these commands).
        cliBinary = FileSystem.isExecutable(dir + "/cnc-cli") ? dir + "/cnc-cli" : dir + "/cnc"
        for b in [initBinary, monitorBinary] where !FileSystem.isExecutable(b) {
            throw CNCError(.notFound, "runtime helper \(b) is missing (build it with `swift build`, or set CNC_LIBEXEC)")
        }
        let layout = CgroupManagers.hostLayout()
        self.layout = layout
        if cgroups == nil, Rootless.isActive {
            // Delegated cgroup v2 needs the user's systemd manager (CgroupDrivers, cnc-cli's).
            guard let reason = CgroupManagers.rootlessProblem(layout: layout) else {
                throw CNCError(.unsupported, "rootless cgroups through the user's systemd manager are made by cnc-cli, not this process")
            }
            self.cgroups = UndelegatedCgroups(reason: reason)
        } else {
            self.cgroups = try cgroups ?? CgroupManagers.cgroupfs(layout: layout)
        }
    }

    /// Warms the cgroup migration lock in the background (see MigrationPrimer); call early in
    /// commands that will start a container.
    public func primeCgroupMigration() {
        if cgroups is CgroupfsV1 || cgroups is CgroupfsV2 { MigrationPrimer.prime(layout: layout) }
    }

    /// Loads a container by name, ID or ID prefix, with its state brought up to date.
    public func container(_ ref: String) throws -> Container {
        var c = try store.load(try store.resolve(ref))
        c.state = refreshed(c)
        return c
    }

    public func list() -> [Container] {
        store.all().map { var c = $0; c.state = refreshed(c); return c }
    }

    /// True unless `pid` is provably another process than the one that started the container at
    /// `startedAt` (RFC 3339): after a reboot, or in a new pid namespace, a recorded pid may be
    /// someone else's, and that process started after the container did. (The monitor, or the
    /// CLI of a direct run, started before it.)
    /// With the recorded start time (`start`, clock ticks since boot) the check is exact: the
    /// same pid and the same start tick are the same process. Without it (older state), the
    /// process must have started no later than the container (a 1 s margin, /proc's boot time
    /// being whole seconds).
    /// `stat`: /proc/PID/stat as read already (nil: read it here).
    static func isMonitor(_ pid: Int32, start: Int64?, startedAt: String, stat: Processes.Stat? = nil) -> Bool {
        if let start, start > 0, let now = (stat ?? Processes.stat(pid))?.startTicks { return now == start }
        guard let started = Self.unixSeconds(rfc3339: startedAt), let since = Processes.startSeconds(pid) else { return true }
        return since <= started + 1
    }

    /// Whole seconds of "2024-02-29T00:00:00.123456789Z"; nil for any other form.
    static func unixSeconds(rfc3339 s: String) -> Int64? {
        let p = s.split(whereSeparator: { "-T:.Z".contains($0) }).map { Int64($0) }
        guard p.count >= 6, let y = p[0], let mo = p[1], let d = p[2], let h = p[3], let mi = p[4], let se = p[5], y > 1970 else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = yy / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return (era * 146_097 + doe - 719_468) * 86_400 + h * 3600 + mi * 60 + se
    }

    /// The container's monitor (`pid`, started at `start` or `startedAt`) runs: it exists, is
    /// no zombie, and is that very process (Processes.isRunning and isMonitor, /proc/PID/stat
    /// read once for both: listing 20 containers read it 40 times).
    static func monitorRuns(_ pid: Int32, start: Int64?, startedAt: String) -> Bool {
        guard Processes.isAlive(pid) else { return false }
        let stat = Processes.stat(pid)
        if stat?.state == UInt8(ascii: "Z") { return false }
        return isMonitor(pid, start: start, startedAt: startedAt, stat: stat)
    }

    /// state.json plus what only the host knows: paused (freezer) and dead monitors.
    func refreshed(_ c: Container) -> ContainerState { refreshed(c.state, cgroupPath: c.config.cgroupPath) }

    func refreshed(_ state: ContainerState, cgroupPath: String) -> ContainerState {
        var s = state
        if s.isActive {
            if s.monitorPid > 0 && !Self.monitorRuns(s.monitorPid, start: s.monitorStart, startedAt: s.startedAt) {
                s.status = .exited
                s.running = false
                s.dead = true
                s.error = s.error.isEmpty ? "the container's monitor exited unexpectedly" : s.error
                s.pid = 0
            } else if s.status == .running && cgroups.isFrozen(cgroupPath) {
                s.status = .paused
                s.paused = true
            }
        }
        return s
    }
}
