import CNCCore

/// Rootless cnc's cgroups: whether the host gives the user a cgroup subtree of its own, decided
/// from the cgroup tree and the user's runtime directory (read through closures, so fixture
/// trees test every branch). Two outcomes:
/// - no delegation (cgroup v1 or hybrid, as on this project's test host; v2 without delegated
///   controllers; v2 without a systemd user session): no cgroup, every limit refused by name
///   (UndelegatedCgroups);
/// - cgroup v2 with controllers delegated to the user's systemd manager (user@UID.service) and
///   its bus in $XDG_RUNTIME_DIR: containers get scopes from that manager through the systemd
///   driver, and only the limits of delegated controllers are set (DelegatedCgroups refuses the
///   others by name).
/// Only the decision is tested (fixture trees, unit tier): no host of the project has cgroup v2
/// with a user session.
public enum RootlessCgroups {
    public enum Decision: Equatable, Sendable {
        case undelegated(reason: String)
        /// `controllers`: cgroup.controllers of the user's subtree; `bus`: the user manager's
        /// D-Bus address; `base`: the user manager's cgroup (scopes are made below it).
        case delegated(controllers: [String], bus: String, base: String)
    }

    /// The cgroup v2 controller each limit flag (as UndelegatedCgroups.flags spells it) needs.
    static let controller: [String: String] = [
        "--memory": "memory", "--memory-reservation": "memory", "memory.high": "memory", "--memory-swap": "memory",
        "--oom-kill-disable": "memory", "--cpus": "cpu", "--cpu-period": "cpu", "--cpu-shares": "cpu",
        "--cpuset-cpus": "cpuset", "--cpuset-mems": "cpuset", "--pids-limit": "pids",
        "--blkio-weight": "io", "--device-read/write-bps/iops": "io",
    ]

    /// Decides for user `uid`. `procSelfCgroup`: /proc/self/cgroup; `xdgRuntimeDir`: the user's
    /// $XDG_RUNTIME_DIR (its `systemd/private`, the user manager's own socket, as `systemctl
    /// --user` picks it; else `bus`, the user's bus daemon);
    /// `read`: a file's text or nil; `exists`: whether a socket path exists.
    public static func decide(layout: CgroupLayout, uid: UInt32, procSelfCgroup: String, xdgRuntimeDir: String?,
                              read: (String) -> String?, exists: (String) -> Bool) -> Decision {
        switch layout.mode {
        case .v1, .hybrid: return .undelegated(reason: "cgroup v1 is not delegated to unprivileged users")
        case .none: return .undelegated(reason: "no cgroup file system is mounted")
        case .v2: break
        }
        let mount = layout.unifiedMountPoint ?? "/sys/fs/cgroup"
        let manager = "/user.slice/user-\(uid).slice/user@\(uid).service"
        // The user manager's subtree, else the cgroup this process runs in when that is
        // delegated too: below the manager, or the root of a cgroup namespace (a container given
        // one). A login session's scope (user-UID.slice/session-N.scope) is root's, not ours.
        var candidates = [manager]
        if let own = procSelfCgroup.split(separator: "\n").first(where: { $0.hasPrefix("0::") }).map({ String($0.dropFirst(3)) }),
           own == "/" || own.hasPrefix(manager + "/") {
            candidates.append(own == "/" ? "" : own)
        }
        var found: (base: String, text: String)?
        for c in candidates where found == nil {
            if let text = read(mount + c + "/cgroup.controllers") { found = (c, text) }
        }
        guard let (base, text) = found else {
            return .undelegated(reason: "cgroup v2 is not delegated to uid \(uid) (no \(mount + manager)/cgroup.controllers: no systemd user manager)")
        }
        let controllers = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        guard !controllers.isEmpty else {
            return .undelegated(reason: "cgroup v2 delegates no controller to uid \(uid) (\(mount + base)/cgroup.controllers is empty; "
                + "systemd's Delegate= for user@.service names them)")
        }
        guard let xdg = xdgRuntimeDir, xdg.hasPrefix("/"),
              let socket = [xdg + "/systemd/private", xdg + "/bus"].first(where: exists) else {
            return .undelegated(reason: "cgroup v2 is delegated to uid \(uid) but there is no systemd user session to make scopes "
                + "through (no $XDG_RUNTIME_DIR/bus or $XDG_RUNTIME_DIR/systemd/private)")
        }
        return .delegated(controllers: controllers, bus: "unix:path=" + socket, base: base)
    }

    /// The flags of `limits` whose controller is not among `controllers`, in flag order.
    public static func unenforceable(_ limits: CgroupLimits, controllers: [String]) -> [String] {
        UndelegatedCgroups.flags(limits).filter { !controllers.contains(controller[$0] ?? $0) }
    }

    /// The limit flags (UndelegatedCgroups.unenforceable's spelling) a subtree with
    /// `controllers` cannot enforce: what `cnc info` lists.
    public static func unenforceableFlags(controllers: [String]) -> [String] {
        let byName: [String: String] = [
            "--cpus/--cpu-quota": "cpu", "--device-read/write-bps/iops": "io",
        ]
        return UndelegatedCgroups.unenforceable.filter { !controllers.contains(byName[$0] ?? controller[$0] ?? $0) }
    }
}

/// Rootless cnc on cgroup v2 with a delegated subtree: the systemd driver on the user's manager
/// (`inner`), refusing limits of controllers not delegated, by name, before anything is made.
public struct DelegatedCgroups: CgroupManager {
    public let inner: any CgroupManager
    public let controllers: [String]
    public let uid: UInt32

    public init(inner: any CgroupManager, controllers: [String], uid: UInt32) {
        self.inner = inner; self.controllers = controllers; self.uid = uid
    }

    public var kind: CgroupDriverKind { inner.kind }
    public var joinsThroughManager: Bool { inner.joinsThroughManager }

    public func refusal(_ limits: CgroupLimits) -> CNCError? {
        let missing = RootlessCgroups.unenforceable(limits, controllers: controllers)
        guard !missing.isEmpty else { return nil }
        let names = Set(missing.compactMap { RootlessCgroups.controller[$0] }).sorted()
        return CNCError(.unsupported, "rootless cnc cannot enforce \(missing.joined(separator: ", ")): the \(names.joined(separator: ", ")) "
            + "controller\(names.count == 1 ? " is" : "s are") not delegated to uid \(uid) (delegated: \(controllers.joined(separator: " "))); "
            + "leave the limit out, or delegate it (systemd's Delegate= for user@.service)")
    }

    public func create(_ path: String, limits: CgroupLimits) throws {
        if let e = refusal(limits) { throw e }
        try inner.create(path, limits: limits)
    }

    public func update(_ path: String, limits: CgroupLimits) throws {
        if let e = refusal(limits) { throw e }
        try inner.update(path, limits: limits)
    }

    public func addProcess(_ pid: Int32, to path: String) throws { try inner.addProcess(pid, to: path) }
    public func beginAddProcess(_ pid: Int32, to path: String) throws -> @Sendable () throws -> Void {
        try inner.beginAddProcess(pid, to: path)
    }
    public func procsFiles(_ path: String) -> [String] { inner.procsFiles(path) }
    public func oomCounter(_ path: String) -> (file: String, key: String)? { inner.oomCounter(path) }
    public func processes(_ path: String) -> [Int32] { inner.processes(path) }
    public func stats(_ path: String) throws -> CgroupStats { try inner.stats(path) }
    public func freeze(_ path: String) throws { try inner.freeze(path) }
    public func thaw(_ path: String) throws { try inner.thaw(path) }
    public func isFrozen(_ path: String) -> Bool { inner.isFrozen(path) }
    public func remove(_ path: String, keepParents: Bool) throws { try inner.remove(path, keepParents: keepParents) }
    public func exists(_ path: String) -> Bool { inner.exists(path) }
    public func containerView(_ path: String) -> CgroupView { inner.containerView(path) }
}
