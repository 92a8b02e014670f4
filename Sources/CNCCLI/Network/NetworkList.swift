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
        let nets = try manager.list()
        func id(_ n: NetworkConfig) -> String { noTrunc ? n.id : String(n.id.prefix(12)) }
        if quiet { nets.forEach { print(id($0)) }; return }
        if let format, format != "table", format != "text" {
            let t = GoTemplate(format == "json" ? "{{json .}}" : format)
            try t.validate()
            let lines = try nets.map { n in
                try t.render(json: .object([
                    "ID": .string(id(n)), "Name": .string(n.name), "Driver": .string(n.driver.rawValue), "Scope": .string("local"),
                    "IPv4": .string("true"), "IPv6": .string("false"), "Internal": .string(n.internal ? "true" : "false"),
                    "Labels": .string(n.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")),
                    "CreatedAt": .string(ContainerInspect.rfc3339(n.created * 1_000_000_000)),
                ]))
            }
            if t.isTable { print(TabWriter.format([t.header(["ID": "NETWORK ID"])] + lines), terminator: "") } else { lines.forEach { print($0) } }
            return
        }
        var table = [["NETWORK ID", "NAME", "DRIVER", "SCOPE", "SUBNET", "INTERNAL"]]
        for n in nets {
            table.append([id(n), n.name, n.driver.rawValue, "local", n.subnet?.description ?? "-", n.internal ? "yes" : "no"])
        }
        print(TabWriter.render(table), terminator: "")
    }
}
