import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork
import CNCSystem

/// `cnc network create`.
struct NetworkCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a network.",
        discussion: "EXAMPLES\n  cnc network create app\n  cnc network create --subnet 10.89.0.0/24 --gateway 10.89.0.1 app\n  cnc network create --internal backend\n  cnc network create -d macvlan -o parent=eth0 lan")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("d"), .long], help: "Driver: bridge (native), macvlan, ipvlan (CNI), cni (--conflist).")
    var driver: String = "bridge"
    @Option(name: .long, help: "Subnet in CIDR format, e.g. 10.89.5.0/24 (default: a free one).") var subnet: String?
    @Option(name: .long, help: "IPv4 gateway for the subnet (default: its first address).") var gateway: String?
    @Flag(name: .long, help: "Restrict external access to the network (no egress, no published ports).") var `internal` = false
    @Option(name: [.customShort("o"), .long], help: "Driver options: parent=IFACE (macvlan/ipvlan).") var opt: [String] = []
    @Option(name: .long, help: "A CNI conflist file for -d cni.") var conflist: String?
    @Option(name: .long, help: "Set metadata on a network (key=value).") var label: [String] = []
    @Argument(help: "The network's name.") var name: String

    func validate() throws {
        guard NetworkDriver(rawValue: driver) != nil else {
            throw ValidationError("unknown driver \"\(driver)\": want bridge, macvlan, ipvlan or cni")
        }
        if driver == "cni" && conflist == nil { throw ValidationError("-d cni needs --conflist FILE") }
    }

    func run() throws {
        var o = NetworkCreateOptions(name: name)
        o.driver = NetworkDriver(rawValue: driver) ?? .bridge
        o.subnet = try subnet.map(IPv4Subnet.init)
        if let gateway {
            guard let g = IPv4Address(gateway) else { throw CNCError(.invalidArgument, "invalid gateway \"\(gateway)\"") }
            o.gateway = g
        }
        o.internal = `internal`
        for kv in opt {
            let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CNCError(.invalidArgument, "invalid option \"\(kv)\": want key=value") }
            switch parts[0] {
            case "parent": o.parent = parts[1]
            default: throw CNCError(.invalidArgument, "unknown network option \"\(parts[0])\" (known: parent)")
            }
        }
        if let conflist { o.conflist = try CNIConflist.parse(FileSystem.readBytes(conflist), path: conflist) }
        for l in label {
            let kv = l.split(separator: "=", maxSplits: 1).map(String.init)
            o.labels[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        let manager = global.networkManager()
        try manager.sweep()
        let n = try manager.create(o)
        print(n.id)
    }
}
