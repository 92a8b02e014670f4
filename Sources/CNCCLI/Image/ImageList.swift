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

    @Option(name: [.customShort("f"), .long], help: "Filter output: reference=PATTERN (a glob: 'bb*', 'app:v*'), dangling=true|false.",
            completion: .list(["reference=", "dangling="]))
    var filter: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Format output: 'table', 'json', or a Go template, e.g. '{{.Repository}}:{{.Tag}}'.", valueName: "string"))
    var format: String?

    /// One row as templates see it (Docker's field names).
    struct Row: Encodable {
        var ID: String, Repository: String, Tag: String, Digest: String, CreatedSince: String, CreatedAt: String, Size: String
    }

    /// docker's `images --filter`: one key's values are alternatives, keys all apply;
    /// `reference` matches REPOSITORY or REPOSITORY:TAG as a path glob (`*` within a path part).
    static func matcher(_ filters: [String]) throws -> (ImageSummary) -> Bool {
        try ContainerList.checkFilterKeys(filters, known: ["reference", "dangling"], docker: ["before", "since", "label", "until"])
        var byKey: [String: [String]] = [:]
        for f in filters {
            let (k, v) = try ContainerList.filterPair(f)
            if k == "dangling", !["true", "false", "1", "0"].contains(v.lowercased()) {
                throw CNCError(.invalidArgument, "Invalid filter 'dangling=\(v)'")
            }
            byKey[k, default: []].append(v)
        }
        return { s in
            byKey.allSatisfy { k, values in
                values.contains { v in
                    if k == "dangling" { return (s.tag == "<none>") == ["true", "1"].contains(v.lowercased()) }
                    return glob(v, s.repository) || glob(v, s.repository + ":" + s.tag)
                }
            }
        }
    }

    /// path.Match's `*` (any run within one path part) and `?`; other characters literally.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        func match(_ p: Substring, _ t: Substring) -> Bool {
            guard let c = p.first else { return t.isEmpty }
            if c == "*" {
                var rest = t
                while true {
                    if match(p.dropFirst(), rest) { return true }
                    guard let n = rest.first, n != "/" else { return false }
                    rest = rest.dropFirst()
                }
            }
            guard let n = t.first, c == "?" ? n != "/" : c == n else { return false }
            return match(p.dropFirst(), t.dropFirst())
        }
        return match(Substring(pattern), Substring(text))
    }

    func run() throws {
        let store = try global.imageStore()
        var rows = try store.list()
        if let repository {
            let wanted = repository.contains(":") ? repository : repository + ":"
            rows = rows.filter { ($0.repository + ":" + $0.tag).hasPrefix(wanted) || $0.repository == repository }
        }
        rows = try rows.filter(Self.matcher(filter))
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
