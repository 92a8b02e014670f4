import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork

/// `cnc network inspect`: Docker's shape (Name, Id, Driver, IPAM, Internal, Containers...).
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Networks (names or ID prefixes).", completion: .networkNames) var networks: [String]

    func run() throws {
        let manager = global.networkManager()
        var out: [JSONValue] = []
        for ref in networks {
            let n = try manager.network(ref)
            var containers: [String: JSONValue] = [:]
            for e in try manager.endpoints(n.name) {
                containers[e.container.rawValue] = .object([
                    "Name": .string(e.name ?? e.container.short),
                    "IPv4Address": .string("\(e.attachment.address)/\(e.attachment.prefixLength)"),
                    "Interface": .string(e.attachment.interface),
                    "HostInterface": .string(e.attachment.hostInterface ?? ""),
                    "Aliases": .array(e.attachment.names.map { .string($0) }),
                    "Ports": .array(e.attachment.ports.map { .string($0.description) }),
                ])
            }
            var ipamConfig: [String: JSONValue] = [:]
            if let s = n.subnet { ipamConfig["Subnet"] = .string(s.description) }
            if let g = n.gateway { ipamConfig["Gateway"] = .string(g.description) }
            var options: [String: JSONValue] = [:]
            if let b = n.bridge { options["com.docker.network.bridge.name"] = .string(b) }
            if let p = n.parent { options["parent"] = .string(p) }
            out.append(.object([
                "Name": .string(n.name), "Id": .string(n.id), "Created": .int(n.created), "Driver": .string(n.driver.rawValue),
                "Scope": .string("local"), "Internal": .bool(n.internal), "EnableIPv6": .bool(false),
                "IPAM": .object(["Driver": .string("default"), "Config": .array(ipamConfig.isEmpty ? [] : [.object(ipamConfig)])]),
                "Containers": .object(containers), "Options": .object(options),
                "Labels": .object(n.labels.mapValues { .string($0) }),
                "App": n.app.map { .string($0) } ?? .null,
            ]))
        }
        print(try CanonicalJSON.string(JSONValue.array(out), pretty: true), terminator: "")
    }
}
