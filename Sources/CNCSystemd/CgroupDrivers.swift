import CNCCgroups
import CNCCore
import CNCSystem

/// Picks the cgroup driver and makes its manager: the one place that knows both kinds.
public enum CgroupDrivers {
    /// The choice for `request` (given by `source`, e.g. "--cgroup-manager systemd") and its
    /// manager. `auto` follows `recorded` (the root's containers' driver), else asks systemd over
    /// D-Bus only when PID 1 is systemd; the connection that answered is the one the systemd
    /// driver then uses: libsystemd's sd-bus (SDBusClient), as cnc-cli and cncapply link it.
    public static func select(_ request: CgroupDriverRequest, source: String, recorded: (driver: CgroupDriverKind, root: String)? = nil,
                              layout: CgroupLayout = CgroupManagers.hostLayout()) throws -> (choice: CgroupDriverChoice, manager: any CgroupManager) {
        if Rootless.isActive {
            switch CgroupManagers.rootlessDecision(layout: layout) {
            case .undelegated(let reason):
                return (CgroupDriverChoice(driver: .cgroupfs, reason: "rootless: no cgroups (\(reason))"), UndelegatedCgroups(reason: reason))
            case .delegated(let controllers, let address, let base):
                // cgroup v2 delegated to the user's systemd manager: scopes from that manager, only
                // the delegated controllers' limits (decided on fixture trees; see RootlessCgroups).
                var m = try SystemdCgroupManager(layout: layout, bus: SDBusClient(address: address))
                m.managerBase = String(base.drop(while: { $0 == "/" }))
                let uid = Rootless.hostUID ?? Host.effectiveUserID
                return (CgroupDriverChoice(driver: .systemd, reason: "rootless: the user's systemd manager (delegated: \(controllers.joined(separator: " ")))"),
                        DelegatedCgroups(inner: m, controllers: controllers, uid: uid))
            }
        }
        let bus = SDBusClient()
        let choice = CgroupDriverChoice.resolve(request, source: source, pid1Command: Host.pid1Command(), recorded: recorded,
                                                busProblem: { bus.problem() })
        switch choice.driver {
        case .cgroupfs: return (choice, try CgroupManagers.cgroupfs(layout: layout))
        case .systemd:
            // Unless `auto` connected already: the connection opens on a second thread while the
            // command loads what it works on (`cnc update`: the container), off its critical path.
            Threads.detach { try? bus.connect() }
            return (choice, try SystemdCgroupManager(layout: layout, bus: bus))
        }
    }
}
