import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork

/// `cnc network ls`: a table (with each network's subnet), or docker's `--format` (a Go
/// template over ID, Name, Driver, Scope, IPv6, Internal, Labels, CreatedAt; `json`: one
/// object per line).
struct NetworkList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.",
        discussion: "EXAMPLES\n  cnc network ls\n  cnc network ls -q\n  cnc network ls --filter type=custom --filter name=app\n  cnc network list --format '{{.Name}} {{.Driver}}'", aliases: ["list"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("q"), .long], help: "Only display network IDs.") var quiet = false
    @Flag(name: .long, help: "Do not truncate the output.") var noTrunc = false
    @Option(name: .long, help: "Format output: 'table', 'json', or a Go template.") var format: String?
    @Option(name: [.customShort("f"), .long], help: "Provide filter values (driver=, id=, label=, name=, scope=, type=custom|builtin).",
            completion: .list(Self.filterKeys.map { $0 + "=" })) var filter: [String] = []

    static let filterKeys = ["driver", "id", "label", "name", "scope", "type"]

    func run() throws {
        let manager = global.networkManager()
        _ = try? manager.sweep()
        // Docker's three predefined networks with the others, by name: the default one as
        // `bridge`, and `host` and `none` (PredefinedNetworks).
        let rows = (try manager.list().map { Row(network: $0) } + PredefinedNetworks.pseudo.map { Row(pseudo: $0) })
            .sorted { $0.name < $1.name }.filter(try Self.matcher(filter))
        func id(_ n: Row) -> String { noTrunc ? n.id : String(n.id.prefix(12)) }
        if quiet { rows.forEach { print(id($0)) }; return }
        if let format, format != "table", format != "text" {
            let t = GoTemplate(format == "json" ? "{{json .}}" : format)
            try t.validate()
            let lines = try rows.map { n in
                try t.render(json: .object([
                    "ID": .string(id(n)), "Name": .string(n.name), "Driver": .string(n.driver), "Scope": .string("local"),
                    "IPv4": .string("true"), "IPv6": .string("false"), "Internal": .string(n.isInternal ? "true" : "false"),
                    "Labels": .string(n.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")),
                    "CreatedAt": .string(n.created.map { ContainerInspect.rfc3339($0 * 1_000_000_000) } ?? "0001-01-01 00:00:00 +0000 UTC"),
                ]))
            }
            if t.isTable { print(TabWriter.format([t.header(["ID": "NETWORK ID"])] + lines), terminator: "") } else { lines.forEach { print($0) } }
            return
        }
        var table = [["NETWORK ID", "NAME", "DRIVER", "SCOPE", "SUBNET", "INTERNAL"]]
        for n in rows {
            table.append([id(n), n.name, n.driver, "local", n.subnet?.description ?? "-", n.isInternal ? "yes" : "no"])
        }
        print(TabWriter.render(table), terminator: "")
    }

    /// Docker's `network ls --filter`: one key's values are alternatives, keys all apply; `name`
    /// matches part of the name, `id` the start of the ID, `label` KEY or KEY=VALUE, `type`
    /// builtin (bridge, host, none) or custom.
    static func matcher(_ filters: [String]) throws -> (Row) -> Bool {
        var byKey: [String: [String]] = [:]
        for f in filters {
            let (k, v) = try ContainerList.filterPair(f)
            guard filterKeys.contains(k) else { throw CNCError(.invalidArgument, "Invalid filter '\(k)'") }
            if k == "type", v != "custom", v != "builtin" { throw CNCError(.invalidArgument, "invalid filter: 'type'='\(v)'") }
            byKey[k, default: []].append(v)
        }
        return { n in
            byKey.allSatisfy { k, values in
                values.contains { v in
                    switch k {
                    case "driver": n.driver == v
                    case "id": n.id.hasPrefix(v)
                    case "name": n.name.contains(v)
                    case "scope": v == "local"
                    case "type": (v == "builtin") == PredefinedNetworks.isPredefined(n.name)
                    default:
                        v.split(separator: "=", maxSplits: 1).map(String.init).first.map { key in
                            n.labels[key] != nil && (!v.contains("=") || "\(key)=\(n.labels[key] ?? "")" == v)
                        } ?? false
                    }
                }
            }
        }
    }

    /// One line of the listing: a network of the root, or a predefined pseudo-network.
    struct Row {
        var id: String, name: String, driver: String, subnet: IPv4Subnet?, isInternal = false
        var labels: [String: String] = [:], created: Int64?
        init(network n: NetworkConfig) {
            id = n.id; name = PredefinedNetworks.shownName(n.name); driver = n.driver.rawValue; subnet = n.subnet
            isInternal = n.internal; labels = n.labels; created = n.created
        }
        init(pseudo p: PredefinedNetworks.Pseudo) { id = p.id; name = p.name; driver = p.driver; subnet = nil }
    }
}
