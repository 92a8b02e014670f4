import CNCNetworkAttach
import CNCStart

// The start path with the bridge driver: the lean `cnc` hands it `run` / `create` on a bridge
// network (it links libnftables, so it cannot be the fully static front); anything else it
// cannot do goes on to cnc-cli (see StartPath).
StartPath.main(network: NetworkAttachSupport.startPathNetwork)
