import CNCCgroups
import class CNCMonitorCore.JournalSender
import CNCCore
import CNCNetwork
import CNCRuntime
import CNCSystem

/// What this host offers cnc: the facts behind `cnc info`.
public struct HostInfo: Sendable, Codable, Equatable {
    public struct Kernel: Sendable, Codable, Equatable {
        public var system: String
        public var release: String
        public var machine: String
    }

    public struct Cgroups: Sendable, Codable, Equatable {
        public var mode: CgroupLayout.Mode
        /// controller -> "v1 <mount point>" or "v2 <mount point>"
        public var controllers: [String: String]
        public var unifiedMountPoint: String?
        public var missingControllers: [String]
        public var driver: CgroupDriverKind
        public var driverReason: String
        /// How device limits are enforced on this layout.
        public var deviceControl: String
    }

    public var version: String
    public var kernel: Kernel
    public var cgroups: Cgroups
    public var overlaySupported: Bool
    public var cniPluginDirectory: String?
    public var cniPlugins: [String]
    public var systemdIsPID1: Bool
    /// journald's socket answers here (what `--log-driver journald` writes to).
    public var journaldSocket: Bool?
    public var stateRoot: String
    public var runRoot: String
    /// Set when cnc runs rootless (an unprivileged user, inside its namespaces).
    public var rootless: RootlessInfo?

    /// Rootless cnc: whose namespaces, their id maps, and what cannot be had without cgroups.
    public struct RootlessInfo: Sendable, Codable, Equatable {
        public var uid: UInt32
        public var uidMap: [String]
        public var gidMap: [String]
        public var pausePID: Int32?
        public var runtimeDirectory: String
        /// Why XDG_RUNTIME_DIR was not used, when it was not.
        public var runtimeDirectoryNote: String?
        /// The limits that cannot be enforced, and why (empty: all can).
        public var unenforcedLimits: [String]
        public var limitsReason: String?
        /// cgroup v2 controllers delegated to the user (nil: no delegation).
        public var delegatedControllers: [String]?
    }

    /// Probes the running host.
    public static func probe(config: EngineConfig) -> HostInfo {
        let mountinfo = (try? FileSystem.readText("/proc/self/mountinfo")) ?? ""
        let layout = CgroupLayout.discover(mountinfo: mountinfo) { try? FileSystem.readText($0) }
        let pid1 = Host.pid1Command()
        let choice: CgroupDriverChoice
        do { choice = try config.cgroupDriver().choice } catch {
            choice = CgroupDriverChoice(driver: .cgroupfs, reason: "\(error)")
        }
        let u = Host.uname()
        let cni = CNIPluginDirectory.discover()
        return HostInfo(
            version: CNCVersion.current,
            kernel: Kernel(system: u.system, release: u.release, machine: u.machine),
            cgroups: cgroups(layout: layout, choice: choice),
            overlaySupported: RuntimeSupport.overlaySupported(),
            cniPluginDirectory: cni.directory,
            cniPlugins: cni.plugins,
            systemdIsPID1: pid1 == "systemd",
            journaldSocket: FileSystem.exists(JournalSender.socketPath),
            stateRoot: config.stateRoot,
            runRoot: config.runRoot,
            rootless: rootlessInfo(layout: layout))
    }

    static func rootlessInfo(layout: CgroupLayout) -> RootlessInfo? {
        guard let uid = Rootless.hostUID, let dir = Rootless.runtimeDirectory else { return nil }
        func map(_ file: String) -> [String] {
            ((try? FileSystem.readText(file)) ?? "").split(separator: "\n").map { $0.split(separator: " ").joined(separator: ":") }
        }
        let decision = CgroupManagers.rootlessDecision(layout: layout)
        var problem: String?, unenforced = UndelegatedCgroups.unenforceable, delegated: [String]?
        switch decision {
        case .undelegated(let reason): problem = reason
        case .delegated(let controllers, _, _):
            delegated = controllers
            unenforced = RootlessCgroups.unenforceableFlags(controllers: controllers)
        }
        return RootlessInfo(
            uid: uid, uidMap: map("/proc/self/uid_map"), gidMap: map("/proc/self/gid_map"),
            pausePID: (try? FileSystem.readText(dir + "/pause.pid")).flatMap { Int32($0.trimmingSpaces) },
            runtimeDirectory: dir,
            runtimeDirectoryNote: Rootless.usesFallbackRuntimeDirectory ? "XDG_RUNTIME_DIR is unset or not a directory of uid \(uid)" : nil,
            unenforcedLimits: unenforced, limitsReason: problem, delegatedControllers: delegated)
    }

    static func cgroups(layout: CgroupLayout, choice: CgroupDriverChoice) -> Cgroups {
        var controllers: [String: String] = [:]
        if let unified = layout.unifiedMountPoint {
            for c in layout.unifiedControllers { controllers[c] = "v2 \(unified)" }
        }
        for h in layout.v1 { for c in h.controllers { controllers[c] = "v1 \(h.mountPoint)" } }
        let devices: String
        if layout.v1Hierarchy(for: "devices") != nil {
            devices = "cgroup v1 devices.allow/devices.deny"
        } else if layout.unifiedMountPoint != nil {
            devices = "cgroup v2 device eBPF programs are not implemented yet: device limits are not enforced"
        } else {
            devices = "no devices controller"
        }
        return Cgroups(
            mode: layout.mode, controllers: controllers, unifiedMountPoint: layout.unifiedMountPoint,
            missingControllers: layout.missingControllers, driver: choice.driver, driverReason: choice.reason,
            deviceControl: devices)
    }
}
