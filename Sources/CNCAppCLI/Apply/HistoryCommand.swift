import ArgumentParser
import CNCCore
import CNCState
import Foundation

/// `cncapply history`: the app's revisions.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List the app's revisions.",
        discussion: "EXAMPLES\n  cncapply history -p shop\n  cncapply history -f app.yaml -o json")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var spec: SpecOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text or json.")
    var output: ReportFormat = .text

    func run() async throws {
        let target = try AppTarget.find(spec)
        let state = try StateDB(path: global.stateRoot + "/state.db")
        let revisions = try await state.revisions(project: target.project)
        if output == .json {
            print(try CanonicalJSON.string(revisions.map(HistoryRow.init), pretty: true), terminator: "")
            return
        }
        guard !revisions.isEmpty else { print("\(target.project): no revisions"); return }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        // COMMIT only when some revision came from git (cncapply sync): the short commit id.
        let fromGit = revisions.contains { $0.origin != nil }
        var rows = [["REVISION", "CREATED (UTC)", "AUTHOR", "OUTCOME", "REASON"] + (fromGit ? ["COMMIT"] : []) + ["IMAGES"]]
        for r in revisions {
            let images = r.images.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value.prefix(19))" }.joined(separator: " ")
            rows.append([String(r.number), formatter.string(from: Date(timeIntervalSince1970: TimeInterval(r.createdAt))), r.author,
                         r.outcome.rawValue, r.reason] + (fromGit ? [r.origin?.shortCommit ?? "-"] : []) + [images])
        }
        print(Table.render(rows), terminator: "")
    }
}

/// One revision in `history -o json` (the stored spec is left out: `config` shows specs).
struct HistoryRow: Encodable {
    var number: Int
    var createdAt: Int64
    var author: String
    var outcome: String
    var reason: String
    var images: [String: String]
    /// The git commit (repo, branch, commit, path) for revisions `cncapply sync` applied.
    var origin: RevisionOrigin?

    init(_ r: RevisionRecord) {
        number = r.number
        createdAt = r.createdAt
        author = r.author
        outcome = r.outcome.rawValue
        reason = r.reason
        images = r.images
        origin = r.origin
    }
}

/// Plain aligned columns, stable for pipes.
public enum Table {
    public static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { i in rows.map { $0.count > i ? $0[i].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(to: widths[i] + 2) }
                .joined()
        }.joined(separator: "\n") + "\n"
    }
}
