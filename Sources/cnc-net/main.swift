import CNCNftables
import CNCSystem

// libnftables for the static `cnc` front, which cannot link it: `cnc-net nft [--json]` runs the
// nftables commands on stdin as one transaction (see NftablesHelper). Spawned only when a start
// changes the firewall (published ports, a new network or its rules).
// `cnc-net forward ...`: rootless cnc's published ports on user networks (PortForwarder).
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "forward" { PortForwarder.main(Array(arguments.dropFirst())) }
NftablesService.main(arguments)
