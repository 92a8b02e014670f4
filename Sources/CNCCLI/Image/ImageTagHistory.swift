import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage

/// `cnc image tag-history [REF]`: every recorded move of a tag (old digest -> new digest, when),
/// kept after the tag moves on or is removed; rollback re-points tags to these digests.
struct ImageTagHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag-history",
        abstract: "Show where a tag pointed over time (old image, new image, when, why).",
        discussion: "EXAMPLES\n  cnc image tag-history\n  cnc image tag-history web:v2")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Reference (e.g. web:v2); all tags when omitted.", completion: .imageNames)
    var reference: String?

    @Flag(name: .long, help: "Don't truncate digests.")
    var noTrunc = false

    @Option(name: .long, help: "Output format: text or json.")
    var format: ReportFormat = .text

    func run() throws {
        let ref = try reference.map { try ImageReference(parsing: $0) }
        let moves = try global.imageStore().tagHistory(ref)
        if format == .json {
            print(try CanonicalJSON.string(moves, pretty: true), terminator: "")
            return
        }
        func d(_ x: Digest?) -> String { x.map { noTrunc ? $0.description : $0.short } ?? "-" }
        var rows = [["TIME", "REFERENCE", "ACTION", "OLD DIGEST", "NEW DIGEST"]]
        for m in moves.reversed() {
            let name = (try? ImageReference(parsing: m.reference))?.familiar ?? m.reference
            rows.append([m.time, name, m.action, d(m.old), d(m.new)])
        }
        print(Table.render(rows), terminator: "")
    }
}
