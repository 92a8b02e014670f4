import Foundation
import Testing

/// `cnc ps`'s CREATED column says how long ago as docker's (go-units HumanDuration + " ago"),
/// for a container made just now and for one made years ago (its cnc.json back-dated).
@Suite(.serialized) struct PsCreatedColumnTests {
    @Test func createdJustNowAndLongAgo() throws {
        guard BusyboxRoot.canRun else { return }
        let box = try BusyboxRoot()
        for name in ["fresh", "old", "hours"] {
            let r = try box.cnc(["create", "--network", "none", "--name", name, "bb:1", "true"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let nowNanos = Int64(Date().timeIntervalSince1970 * 1e9)
        for (name, ago) in [("old", Int64(3 * 365 * 86400 + 3600)), ("hours", Int64(5400))] {
            let id = try box.cnc(["inspect", "--format", "{{.Id}}", name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let path = box.root + "/containers/" + id + "/cnc.json"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let dated = text.replacingOccurrences(of: #""created" *: *[0-9]+"#, with: "\"created\": \(nowNanos - ago * 1_000_000_000)",
                                                  options: .regularExpression)
            #expect(dated != text, "no created key in \(path)")
            try dated.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let rows = try box.cnc(["ps", "-a", "--format", "{{.Names}}={{.RunningFor}}"]).stdout.split(separator: "\n").map(String.init)
        #expect(rows.contains("old=3 years ago"), "\(rows)")
        #expect(rows.contains("hours=2 hours ago"), "\(rows)")
        #expect(rows.contains { $0 == "fresh=Less than a second ago" || $0.hasPrefix("fresh=") && $0.hasSuffix(" seconds ago") || $0 == "fresh=1 second ago" }, "\(rows)")
        let table = try box.cnc(["ps", "-a"]).stdout
        #expect(table.contains("3 years ago"), "\(table)")
    }
}
