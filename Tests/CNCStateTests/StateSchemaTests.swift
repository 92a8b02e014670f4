@testable import CNCState
import Foundation
import Testing

/// Schema version 3: the origin column, added to databases of version 1 or 2 exactly once.
@Suite struct StateSchemaTests {
    static let v1Revisions = """
        CREATE TABLE revisions (project TEXT NOT NULL, number INTEGER NOT NULL, spec TEXT NOT NULL, images TEXT NOT NULL,
            config_hashes TEXT NOT NULL, replicas TEXT NOT NULL, author TEXT NOT NULL, created_at INTEGER NOT NULL,
            outcome TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (project, number));
        INSERT INTO revisions VALUES ('web', 1, '{}', '{}', '{}', '{}', 'old', 1, 'succeeded', 'apply');
        """

    func oldDatabase(version: Int, extra: String = "") throws -> (String, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-schema-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let db = try SQLiteDatabase(path: dir + "/state.db")
        try db.execute(Self.v1Revisions + extra + "PRAGMA user_version = \(version);")
        return (dir, dir + "/state.db")
    }

    @Test(arguments: [
        (1, ""),
        // Version 2 (the applied files' digests) before this step.
        (2, "ALTER TABLE revisions ADD COLUMN files TEXT NOT NULL DEFAULT '{}';"),
        // A version 2 that already has the column: the step does not add it twice.
        (2, "ALTER TABLE revisions ADD COLUMN files TEXT NOT NULL DEFAULT '{}'; ALTER TABLE revisions ADD COLUMN origin TEXT NOT NULL DEFAULT '';"),
    ])
    func migratesToVersion3(version: Int, extra: String) async throws {
        let (dir, path) = try oldDatabase(version: version, extra: extra)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = try StateDB(path: path)
        let old = try await state.revisions(project: "web")
        #expect(old.count == 1 && old.first?.origin == nil && old.first?.author == "old")
        let origin = RevisionOrigin(repo: "/srv/ops", branch: "main", commit: String(repeating: "ab", count: 20), path: "apps/web.yaml")
        let n = try await state.addRevision(RevisionRecord(project: "web", spec: "{}", images: [:], configHashes: [:], replicas: [:],
                                                           author: "sync", createdAt: 2, origin: origin))
        #expect(try await state.revision(project: "web", number: n)?.origin == origin)
        #expect(origin.shortCommit == "ababab" + "a")
        let probe = try SQLiteDatabase(path: path)
        #expect(try probe.query("PRAGMA user_version").first?.first?.int == 3)
        // Opening again changes nothing.
        _ = try StateDB(path: path)
        #expect(try probe.query("PRAGMA user_version").first?.first?.int == 3)
    }

    @Test func newerSchemasAreRefused() throws {
        let (dir, path) = try oldDatabase(version: 4)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: (any Error).self) { try StateDB(path: path) }
    }
}
