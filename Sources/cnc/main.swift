import CNCNetworkAttach
import CNCStart

// The lean front: starts containers itself (bridge networks included), hands everything else
// to cnc-cli (see StartPath).
StartPath.main(network: NetworkAttachSupport.startPathNetwork)
