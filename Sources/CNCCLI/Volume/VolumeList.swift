import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime

/// `cnc volume ls`: DRIVER and VOLUME NAME, `-q`, `--filter`, `--format`.
struct VolumeList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes.",
        discussion: "EXAMPLES\n  cnc volume ls\n  cnc volume ls -q --filter dangling=true\n  cnc volume list --format '{{.Name}}'", aliases: ["list"])
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("q"), .long], help: "Only display volume names.") var quiet = false
    @Option(name: [.customShort("f"), .long], help: "Provide filter values (dangling=true|false, name=, label=KEY[=VALUE], driver=).", completion: .list(VolumeText.filterKeys.map { $0 + "=" })) var filter: [String] = []
    @Option(name: .long, help: "Format output: 'table', 'json', or a Go template.") var format: String?

    func run() throws {
        try dockerErrors {
            let r = try global.runtime()
            let store = r.volumes
            let users = VolumeStore.users(r.list())
            try VolumeText.checkFilters(filter)
            let vols = try store.list().filter { try VolumeText.matches($0, used: users[$0.name] != nil, filters: filter) }
            if quiet { vols.forEach { print($0.name) }; return }
            let t = GoTemplate(format.map { $0 == "json" ? "{{json .}}" : ($0 == "table" ? Self.table : $0) } ?? Self.table)
            try t.validate()
            let lines = try vols.map { try t.render(json: VolumeText.row($0, store: store, links: users[$0.name]?.count ?? 0)) }
            if t.isTable {
                print(TabWriter.format([t.header(["Name": "VOLUME NAME"])] + lines), terminator: "")
            } else {
                lines.forEach { print($0) }
            }
        }
    }

    static let table = "table {{.Driver}}\t{{.Name}}"
}
