import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCNetwork

/// `cnc network ls`: a table (with each network's subnet), or docker's `--format` (a Go
/// template over ID, Name, Driver, Scope, IPv6, Internal, Labels, CreatedAt; `json`: one
/// object per line).
struct NetworkList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks.",
        discussion: "EXAMPLES\n  cnc network ls\n  cnc network ls -q\n  cnc network list --format '{{.Name}} {{.Driver}}'", aliases: ["list"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("q"), .long], help: "Only display network IDs.") var quiet = false
    @Flag(name: .long, help: "Do not truncate the output.") var noTrunc = false
    @Option(name: .long, help: "Format output: 'table', 'json', or a Go template.") var format: String?

    func run() throws {
        let manager = global.networkManager()
        _ = try? manager.sweep()
        // Docker's three predefined networks with the others, by name: the default one as
        // `bridge`, and `host` and `none` (PredefinedNetworks).
        let rows = (try manager.list().map { Row(network: $0) } + PredefinedNetworks.pseudo.map { Row(pseudo: $0) })
            .sorted { $0.name < $1.name }
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
