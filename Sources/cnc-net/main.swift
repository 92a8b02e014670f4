import CNCNftables

// libnftables for the static `cnc` front, which cannot link it: `cnc-net nft [--json]` runs the
// nftables commands on stdin as one transaction (see NftablesHelper). Spawned only when a start
// changes the firewall (published ports, a new network or its rules).
NftablesService.main(Array(CommandLine.arguments.dropFirst()))
