import CNCStart

// The lean front: starts containers itself, hands everything else to cnc-cli (see StartPath).
StartPath.main()
