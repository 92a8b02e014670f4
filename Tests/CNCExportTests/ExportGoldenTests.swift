import CNCCore
import CNCSpec
import Foundation
import Testing
@testable import CNCExport

/// Golden exports: every example and every spec of specs/export/, to every target, byte for
/// byte (losses first, then the YAML stream). CNC_UPDATE_GOLDEN=1 rewrites them.
enum ExportCases {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let goldenDir = repo + "/specs/export/golden"

    /// examples/NAME/app.yaml and specs/export/NAME.yaml, as (case name, directory, file).
    static var specs: [(String, String, String)] {
        let fm = FileManager.default
        var out: [(String, String, String)] = []
        for d in ((try? fm.contentsOfDirectory(atPath: repo + "/examples")) ?? []).sorted()
        where fm.fileExists(atPath: repo + "/examples/\(d)/app.yaml") {
            out.append(("example-\(d)", repo + "/examples/\(d)", "app.yaml"))
        }
        for f in ((try? fm.contentsOfDirectory(atPath: repo + "/specs/export")) ?? []).sorted() where f.hasSuffix(".yaml") {
            out.append((String(f.dropLast(5)), repo + "/specs/export", f))
        }
        return out
    }

    /// A store that holds busybox:1.36 (imported: no registry digest), postgres:16 (pulled) and
    /// httpserver:v1 (built by cncapply export: the httpserver example's build).
    static let inputs = ExportInputs(
        image: { ref in
            guard let b = digest("b"), let c = digest("c"), let d = digest("d"), let e = digest("e") else { return nil }
            switch ref.familiar {
            case "busybox:1.36": return StoredImage(manifestDigest: b)
            case "httpserver:v1": return StoredImage(manifestDigest: e)
            case "postgres:16": return StoredImage(manifestDigest: c, repoDigests: ["docker.io/library/postgres@" + d.description])
            default: return nil
            }
        },
        readFile: { path in FileManager.default.contents(atPath: path).map { [UInt8]($0) } },
        environment: [:])

    static func digest(_ c: Character) -> Digest? { try? Digest("sha256:" + String(repeating: c, count: 64)) }

    static func load(_ dir: String, _ file: String) throws -> LoadedSpec {
        try SpecLoader.load(SpecLoadOptions(files: [file], environment: ["HOME": "/home/user"], workingDirectory: dir))
    }

    /// The export as a user sees it: loss lines, then the stream; the checkout's path replaced.
    static func text(_ dir: String, _ file: String, _ options: ExportOptions) throws -> String {
        let loaded = try load(dir, file)
        let result = try Exporter.export(loaded, options: options, inputs: inputs)
        let losses = result.losses.map { $0.diagnostic(loaded.sourceMap) }.sorted().map { "# " + $0.description + "\n" }.joined()
        return (losses + Exporter.multiDocument(result, target: options.target)).replacingOccurrences(of: repo, with: "$REPO")
    }
}

@Suite struct ExportGoldenTests {
    static let cases: [String] = ExportCases.specs.flatMap { c in ExportTarget.allCases.map { "\(c.0).\($0.rawValue)" } }

    @Test(arguments: cases)
    func exportMatchesGolden(_ id: String) throws {
        let parts = id.split(separator: ".")
        guard let target = parts.last.flatMap({ ExportTarget(rawValue: String($0)) }),
              let spec = ExportCases.specs.first(where: { $0.0 == parts.dropLast().joined(separator: ".") }) else {
            Issue.record("no case \(id)")
            return
        }
        let text = try ExportCases.text(spec.1, spec.2, ExportOptions(target: target))
        // Byte-stable: the same spec and store give the same bytes.
        #expect(try ExportCases.text(spec.1, spec.2, ExportOptions(target: target)) == text)
        let golden = ExportCases.goldenDir + "/\(id).yaml"
        if ProcessInfo.processInfo.environment["CNC_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: golden, encoding: .utf8)
        #expect(text == expected, "\(id): export differs from \(golden) (CNC_UPDATE_GOLDEN=1 to rewrite)")
    }

    @Test func thereAreGoldensForTheExamplesAndTheCorpus() {
        #expect(ExportCases.specs.filter { $0.0.hasPrefix("example-") }.count >= 4)
        #expect(ExportCases.specs.filter { !$0.0.hasPrefix("example-") }.count >= 3)
    }
}
