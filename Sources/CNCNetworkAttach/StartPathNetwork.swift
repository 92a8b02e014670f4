import CNCNetwork
import CNCStart

/// What the bridge driver contributes to the start path (the `cnc` front's StartPath.main):
/// netlink in-process, firewall changes (rarely needed by a start) through the `cnc-net nft` helper.
public enum NetworkAttachSupport {
    public static let startPathNetwork = StartPath.Network(
        attacher: { EngineNetworkAttacher(stateRoot: $0) })
}
