import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage

/// `cnc images` / `cnc image ls`.
struct ImageList: ParsableArguments {
    static let abstract = "List images."

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only images of this repository (optionally REPOSITORY:TAG).", completion: .imageNames)
    var repository: String?

    @Flag(name: [.short, .long], help: "Only show image IDs.")
    var quiet = false

    @Flag(name: .long, help: "Show digests.")
    var digests = false

    @Flag(name: .long, help: "Don't truncate output.")
    var noTrunc = false

    @Flag(name: [.short, .long], help: "Show all images (cnc keeps no intermediate images; same as default).")
    var all = false

    @Option(name: .long, help: ArgumentHelp(
        "Format output: 'table', 'json', or a Go template, e.g. '{{.Repository}}:{{.Tag}}'.", valueName: "string"))
    var format: String?

    /// One row as templates see it (Docker's field names).
    struct Row: Encodable {
        var ID: String, Repository: String, Tag: String, Digest: String, CreatedSince: String, CreatedAt: String, Size: String
    }

    func run() throws {
        let store = try global.imageStore()
        var rows = try store.list()
        if let repository {
            let wanted = repository.contains(":") ? repository : repository + ":"
            rows = rows.filter { ($0.repository + ":" + $0.tag).hasPrefix(wanted) || $0.repository == repository }
        }
        func id(_ s: ImageSummary) -> String { noTrunc ? s.id.description : String(s.id.encoded.prefix(12)) }
        if quiet {
            var seen = Set<String>()
            for r in rows where seen.insert(id(r)).inserted { print(id(r)) }
            return
        }
        let data = rows.map {
            Row(ID: id($0), Repository: $0.repository, Tag: $0.tag, Digest: $0.digest, CreatedSince: ImageText.since($0.created),
                CreatedAt: $0.created ?? "", Size: ImageText.size($0.size))
        }
        if let format, format != "table" {
            if format == "json" {
                for d in data { print(try GoTemplate("{{json .}}").render(d)) }
                return
            }
            let t = GoTemplate(format)
            if t.isTable { print(t.header()) }
            for d in data { print(try t.render(d)) }
            return
        }
        var table: [[String]] = [digests ? ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"]
                                         : ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
        for d in data {
            table.append(digests ? [d.Repository, d.Tag, d.Digest, d.ID, d.CreatedSince, d.Size]
                                 : [d.Repository, d.Tag, d.ID, d.CreatedSince, d.Size])
        }
        print(Table.render(table), terminator: "")
    }
}
