import CNCNetwork
import CNCRuntime
import CNCStart
import CNCSystem

/// What the bridge driver contributes to the start path (the `cnc` front's StartPath.main):
/// netlink in-process, firewall changes (rarely needed by a start) through the `cnc-net nft` helper;
/// pasta and the rootless network namespace for rootless cnc.
public enum NetworkAttachSupport {
    public static let startPathNetwork = StartPath.Network(
        attacher: { Rootless.isActive ? RootlessAttacher(stateRoot: $0) as any NetworkAttacher : EngineNetworkAttacher(stateRoot: $0) })
}
