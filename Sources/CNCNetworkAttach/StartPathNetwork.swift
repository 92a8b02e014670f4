import CNCNetwork
import CNCStart

/// What the bridge driver contributes to the start path (cnc-net's StartPath.main).
public enum NetworkAttachSupport {
    public static let startPathNetwork = StartPath.Network(
        attacher: { EngineNetworkAttacher(stateRoot: $0) })
}
