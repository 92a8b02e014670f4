import CNCCore
import Foundation
import Testing
@testable import CNCSpec

/// The table of spec cases under specs/: every invalid case must produce exactly its expected
/// error lines; every valid case must load, and its normalized form must match its golden file.
enum SpecCases {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let invalidDir = repo + "/specs/invalid"
    static let validDir = repo + "/specs/valid"
    /// A fixed environment so cases never depend on the machine running them.
    static let environment = ["HOME": "/home/user", "FROM_HOST": "from-host"]

    static func yamlFiles(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    static func load(_ files: [String], in dir: String) throws(SpecErrors) -> LoadedSpec {
        try SpecLoader.load(SpecLoadOptions(files: files, environment: environment, workingDirectory: dir))
    }

    /// The normalized JSON with the checkout's absolute path replaced, so goldens are portable.
    static func portableJSON(_ app: AppSpec) throws -> String {
        try CanonicalJSON.string(app.jsonValue(), pretty: true).replacingOccurrences(of: validDir, with: "$SPECDIR")
    }
}

@Suite struct SpecCaseTests {
    @Test func thereAreEnoughInvalidCases() {
        #expect(SpecCases.yamlFiles(in: SpecCases.invalidDir).count >= 60)
    }

    @Test(arguments: SpecCases.yamlFiles(in: SpecCases.invalidDir))
    func invalidCaseReportsExactlyItsErrors(_ file: String) throws {
        let expectedPath = SpecCases.invalidDir + "/" + file.dropLast(5) + ".errors"
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            _ = try SpecCases.load([file], in: SpecCases.invalidDir)
            Issue.record("\(file) loaded without errors; expected:\n\(expected)")
        } catch {
            let got = error.diagnostics.map(\.description).joined(separator: "\n")
            #expect(got == expected, "\(file)")
            #expect(!error.errors.isEmpty)
            #expect(error.errors.allSatisfy { $0.mark?.file == file }, "every error names the file, line and column")
        }
    }

    @Test(arguments: SpecCases.yamlFiles(in: SpecCases.validDir))
    func validCaseLoadsAndMatchesGolden(_ file: String) throws {
        let loaded = try SpecCases.load([file], in: SpecCases.validDir)
        #expect(loaded.warnings.allSatisfy { $0.severity == .warning })
        let json = try SpecCases.portableJSON(loaded.app)
        let golden = SpecCases.validDir + "/golden/" + file.dropLast(5) + ".json"
        if ProcessInfo.processInfo.environment["CNC_UPDATE_GOLDEN"] == "1" {
            try json.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: golden, encoding: .utf8)
        #expect(json == expected, "\(file): normalized form differs from \(golden)")
    }

    @Test(arguments: SpecCases.yamlFiles(in: SpecCases.validDir))
    func normalizedYAMLReadsBackToTheSameSpec(_ file: String) throws {
        let loaded = try SpecCases.load([file], in: SpecCases.validDir)
        let yaml = YAMLWriter(escapeDollars: true).string(try loaded.app.jsonValue())
        let again = try SpecLoader.load(SpecLoadOptions(files: ["-"], stdin: Array(yaml.utf8), projectName: loaded.app.name,
                                                        environment: SpecCases.environment, workingDirectory: SpecCases.validDir))
        #expect(try CanonicalJSON.encode(again.app) == CanonicalJSON.encode(loaded.app))
    }
}

@Suite struct SpecEncodingTests {
    /// The direct encoder must build exactly the tree Foundation's JSON round trip builds.
    @Test(arguments: SpecCases.yamlFiles(in: SpecCases.validDir))
    func directEncoderMatchesFoundationRoundTrip(_ file: String) throws {
        let app = try SpecCases.load([file], in: SpecCases.validDir).app
        let viaFoundation = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(app))
        #expect(try JSONValueEncoder.encode(app) == viaFoundation)
    }

    @Test func sourceMapFindsWrittenPositions() throws {
        let loaded = try SpecCases.load(["short-and-long-syntax.yaml"], in: SpecCases.validDir)
        let map = loaded.sourceMap
        #expect(map.mark("services.web")?.line == 3)
        #expect(map.mark("services.web.image")?.line == 4)
        #expect(map.mark("services.web.labels.app.tier")?.line == 12)
        #expect(map.mark("services.web.ports[1]")?.line == 15)
        // A normalized index maps back to the item written: 9000-9001 expands into two ports.
        #expect(map.mark("services.web.ports[5]")?.line == 18)
        #expect(map.mark("services.web.ports[6]")?.line == 19)
        #expect(map.mark("services.web.nonexistent")?.line == 3)
        #expect(map.contains("services.web.init"))
        #expect(!map.contains("services.web.scale"))
    }
}
