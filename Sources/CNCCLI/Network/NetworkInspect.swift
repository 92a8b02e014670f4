import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork

/// `cnc network inspect`: Docker's shape (Name, Id, Created, Scope, Driver, EnableIPv6, IPAM,
/// Internal, Attachable, Ingress, ConfigFrom, ConfigOnly, Containers, Options, Labels), printed
/// as JSON or through `--format`.
struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more networks.",
        discussion: "EXAMPLES\n  cnc network inspect app\n  cnc network inspect --format '{{range .Containers}}{{.Name}} {{end}}' app")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("f"), .long], help: "Format the output using the given Go template.") var format: String?
    @Flag(name: [.customShort("v"), .long], help: "Verbose output for diagnostics (accepted; the same output).") var verbose = false
    @Argument(help: "Networks (names or ID prefixes).", completion: .networkNames) var networks: [String]

    func run() throws {
        let manager = global.networkManager()
        try InspectOutput.emit(networks, format: format) { ref in
            if let p = PredefinedNetworks.pseudo(ref) { return PredefinedNetworks.document(p) }
            do { return try Self.document(try manager.network(ref), manager: manager) } catch let e as CNCError where e.code == .notFound {
                throw CNCError(.notFound, "network \(ref) not found")
            }
        }
    }

    static func document(_ n: NetworkConfig, manager: NetworkManager) throws -> JSONValue {
        var containers: [String: JSONValue] = [:]
        for e in try manager.endpoints(n.name) {
            containers[e.container.rawValue] = .object([
                "Name": .string(e.name ?? e.container.short),
                "EndpointID": .string(e.attachment.hostInterface ?? ""),
                "MacAddress": .string(""),
                "IPv4Address": .string("\(e.attachment.address)/\(e.attachment.prefixLength)"),
                "IPv6Address": .string(""),
                "Interface": .string(e.attachment.interface),
                "HostInterface": .string(e.attachment.hostInterface ?? ""),
                "Aliases": .array(e.attachment.names.map { .string($0) }),
                "Ports": .array(e.attachment.ports.map { .string($0.description) }),
            ])
        }
        var ipamConfig: [String: JSONValue] = [:]
        if let s = n.subnet { ipamConfig["Subnet"] = .string(s.description) }
        if let g = n.gateway { ipamConfig["Gateway"] = .string(g.description) }
        let isDefault = n.name == NetworkManager.defaultNetworkName
        var options: [String: JSONValue] = isDefault ? PredefinedNetworks.defaultBridgeOptions(bridge: n.bridge) : [:]
        if let b = n.bridge { options["com.docker.network.bridge.name"] = .string(b) }
        if let p = n.parent { options["parent"] = .string(p) }
        return .object([
            "Name": .string(PredefinedNetworks.shownName(n.name)), "Id": .string(n.id), "Created": .string(ContainerInspect.rfc3339(n.created * 1_000_000_000)),
            "Scope": .string("local"), "Driver": .string(n.driver.rawValue), "EnableIPv4": .bool(true), "EnableIPv6": .bool(false),
            "IPAM": .object([
                "Driver": .string("default"), "Options": .object([:]),
                "Config": .array(ipamConfig.isEmpty ? [] : [.object(ipamConfig)]),
            ]),
            "Internal": .bool(n.internal), "Attachable": .bool(false), "Ingress": .bool(false),
            "ConfigFrom": .object(["Network": .string("")]), "ConfigOnly": .bool(false),
            "Containers": .object(containers), "Options": .object(options),
            "Labels": .object(n.labels.mapValues { .string($0) }),
            "App": n.app.map { .string($0) } ?? .null,
        ])
    }
}
