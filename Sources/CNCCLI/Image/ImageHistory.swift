import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage

/// `cnc image history`: how the image was made, newest step first.
struct ImageHistory: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image.",
        discussion: "EXAMPLES\n  cnc history busybox\n  cnc history --no-trunc -q busybox\n  cnc image history --format '{{.CreatedBy}}' busybox")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Image name or ID.", completion: .imageNames)
    var image: String

    @Flag(name: [.short, .long], help: "Only show image IDs.")
    var quiet = false

    @Flag(name: .long, help: "Don't truncate output.")
    var noTrunc = false

    @Flag(name: [.customShort("H"), .customLong("human")], inversion: .prefixedNo, help: "Print sizes and dates in human readable format (-H=false: bytes and RFC 3339 dates).")
    var human = true

    @Option(name: .long, help: ArgumentHelp("Format output with a Go template or 'json'.", valueName: "string"))
    var format: String?

    struct Row: Encodable {
        var ID: String, CreatedSince: String, CreatedAt: String, CreatedBy: String, Size: String, Comment: String
    }

    func run() throws {
        let img = try global.imageStore().resolve(image)
        let history = img.config.history ?? img.diffIDs.map { _ in CNCOCIHistory() }
        var layerIndex = 0
        var rows: [Row] = []
        for h in history {
            var size: Int64 = 0
            if h.emptyLayer != true, layerIndex < img.manifest.layers.count {
                size = img.manifest.layers[layerIndex].size
                layerIndex += 1
            }
            var by = h.createdBy ?? ""
            if !noTrunc && by.count > 45 { by = String(by.prefix(44)) + "…" }
            rows.append(Row(ID: "<missing>", CreatedSince: human ? ImageText.since(h.created) : Self.wholeSeconds(h.created ?? ""),
                            CreatedAt: h.created ?? "", CreatedBy: by,
                            Size: human ? ImageText.size(size) : String(size), Comment: h.comment ?? ""))
        }
        rows.reverse()
        if !rows.isEmpty { rows[0].ID = noTrunc ? img.id.description : String(img.id.encoded.prefix(12)) }
        if quiet {
            for r in rows { print(r.ID) }
            return
        }
        if let format {
            let t = GoTemplate(format == "json" ? "{{json .}}" : format)
            if t.isTable { print(t.header()) }
            for r in rows { print(try t.render(r)) }
            return
        }
        // Docker names the column after what it shows: "CREATED AT" with -H=false.
        var table = [["IMAGE", human ? "CREATED" : "CREATED AT", "CREATED BY", "SIZE", "COMMENT"]]
        for r in rows { table.append([r.ID, r.CreatedSince, r.CreatedBy, r.Size, r.Comment]) }
        print(Table.render(table), terminator: "")
    }

    /// An RFC 3339 time to the second, as docker's `-H=false` prints it (`...T19:04:01Z`).
    static func wholeSeconds(_ time: String) -> String {
        guard let dot = time.firstIndex(of: ".") else { return time }
        let rest = time[dot...].drop(while: { $0 == "." || $0.isNumber })
        return String(time[..<dot]) + rest
    }
}

import CNCOCI
typealias CNCOCIHistory = CNCOCI.History
