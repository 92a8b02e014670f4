import CNCCore
import CNCState
import CNCSystem
import Foundation
import Testing

@Suite struct StateDBTests {
    static func tempDB() throws -> (StateDB, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (try StateDB(path: dir + "/state.db"), dir)
    }

    static func rev(_ project: String, _ image: String, _ digest: String) -> RevisionRecord {
        RevisionRecord(project: project, spec: "{}", images: [image: digest], configHashes: ["web": "h"], replicas: ["web": 1],
                       author: "test", createdAt: 1)
    }

    @Test func revisionsNumberPerProjectAndPrune() async throws {
        let (db, dir) = try Self.tempDB()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for i in 1...5 { #expect(try await db.addRevision(Self.rev("a", "web:v\(i)", "sha256:\(i)"), keep: 3) == i) }
        #expect(try await db.addRevision(Self.rev("b", "x", "sha256:x")) == 1)
        let kept = try await db.revisions(project: "a")
        #expect(kept.map(\.number) == [3, 4, 5])
        #expect(kept.last?.images == ["web:v5": "sha256:5"])
        try await db.setOutcome(project: "a", number: 5, .succeeded)
        #expect(try await db.revision(project: "a", number: 5)?.outcome == .succeeded)
        #expect(try await db.protectedImageDigests() == ["sha256:3", "sha256:4", "sha256:5", "sha256:x"])
    }

    @Test func containersRoundTripAndSurviveReopen() async throws {
        let (db, dir) = try Self.tempDB()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = ContainerRecord(id: "abc", project: "shop", service: "web", replica: 1, name: "shop-web-1", configHash: "h1",
                                sectionHashes: ["environment": "e1"], appliedSections: ["environment": .object(["PORT": .string("80")])],
                                image: "web:stable", imageDigest: "sha256:1", revision: 1, createdAt: 7)
        try await db.upsertContainer(c)
        try await db.recordApp(project: "shop", specFiles: ["/x/app.yaml"], workingDirectory: "/x", now: 1)
        try await db.addEvent(project: "shop", kind: "apply", message: "created web", time: 2)
        let reopened = try StateDB(path: dir + "/state.db")
        #expect(try await reopened.containers(project: "shop") == [c])
        #expect(try await reopened.apps().map(\.project) == ["shop"])
        #expect(try await reopened.events(project: "shop").map(\.message) == ["created web"])
        try await reopened.removeContainer(id: "abc")
        #expect(try await reopened.containers(project: "shop").isEmpty)
    }

    /// The WAL outlives a connection without a checkpoint at close (no syncs for an apply that
    /// records a revision), a session that only reads changes no byte, and a new connection
    /// recovers every commit from the kept WAL.
    @Test func walIsKeptAndReadsWriteNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/state.db"
        do {
            let db = try StateDB(path: path)
            try await db.recordApp(project: "shop", specFiles: ["/x/app.yaml"], workingDirectory: "/x", now: 1)
            #expect(try await db.addRevision(Self.rev("shop", "web:v1", "sha256:1")) == 1)
        }
        let wal = try #require(FileManager.default.contents(atPath: path + "-wal"), "the WAL was removed at close")
        #expect(!wal.isEmpty, "the WAL was checkpointed at close")
        let main = try #require(FileManager.default.contents(atPath: path))
        do {
            let db = try StateDB(path: path)
            #expect(try await db.apps().map(\.project) == ["shop"])
            #expect(try await db.revisions(project: "shop").map(\.number) == [1])
        }
        #expect(FileManager.default.contents(atPath: path) == main, "a read-only session wrote state.db")
        #expect(FileManager.default.contents(atPath: path + "-wal") == wal, "a read-only session wrote the WAL")
    }

    /// Checkpoints still run as the WAL grows, so it stays small (the recovery at each first open
    /// reads all of it), and every commit survives them.
    @Test func walStaysBounded() async throws {
        let (db, dir) = try Self.tempDB()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = String(repeating: "x", count: 8_000)
        for i in 1...300 {
            var r = Self.rev("big", "web:v\(i)", "sha256:\(i)")
            r.spec = spec
            #expect(try await db.addRevision(r, keep: 1_000) == i)
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dir + "/state.db-wal")[.size] as? Int)
        #expect(size < 2 << 20, "WAL of \(size) bytes")
        let reopened = try StateDB(path: dir + "/state.db")
        #expect(try await reopened.revisions(project: "big").count == 300)
    }

    /// Schema 1 -> 2: a root written by the previous cnc keeps its revisions (with no file
    /// digests), and new revisions keep theirs.
    @Test func migratesSchemaOneAndKeepsFileDigests() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnc-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let v1 = """
            CREATE TABLE revisions (project TEXT NOT NULL, number INTEGER NOT NULL, spec TEXT NOT NULL, images TEXT NOT NULL,
              config_hashes TEXT NOT NULL, replicas TEXT NOT NULL, author TEXT NOT NULL, created_at INTEGER NOT NULL,
              outcome TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (project, number));
            INSERT INTO revisions VALUES ('old', 1, '{}', '{}', '{"web":"h"}', '{"web":1}', 'me', 1, 'succeeded', 'apply');
            PRAGMA user_version = 1;
            """
        let r = try Spawn.capture("/usr/bin/sqlite3", [dir + "/state.db", v1], environment: [])
        #expect(r.termination == .exited(0))
        let db = try StateDB(path: dir + "/state.db")
        let old = try #require(try await db.revision(project: "old", number: 1))
        #expect(old.files == [:] && old.replicas == ["web": 1])
        var new = Self.rev("old", "web:v2", "sha256:2")
        new.files = ["/srv/app.yaml": "sha256:ab", "/srv/.env": "sha256:cd"]
        #expect(try await db.addRevision(new) == 2)
        #expect(try await StateDB(path: dir + "/state.db").revision(project: "old", number: 2)?.files == new.files)
        let version = try Spawn.capture("/usr/bin/sqlite3", [dir + "/state.db", "PRAGMA user_version;"], environment: [])
        #expect(String(decoding: version.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "\(StateDB.schemaVersion)")
        #expect(StateDB.schemaVersion == 3)  // 3: revisions.origin (cncapply sync)
    }

    @Test func refusesNewerSchema() async throws {
        let (db, dir) = try Self.tempDB()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = db
        let r = try Spawn.capture("/usr/bin/sqlite3", [dir + "/state.db", "PRAGMA user_version = 99;"], environment: [])
        #expect(r.termination == .exited(0))
        #expect {
            try StateDB(path: dir + "/state.db")
        } throws: { error in
            (error as? CNCError)?.description.contains("schema version 99, newer than this cnc understands") == true
        }
    }

    @Test func badPathNamesIt() {
        #expect {
            try StateDB(path: "/nonexistent-dir/x/state.db")
        } throws: { error in
            (error as? CNCError)?.description.hasPrefix("failed to open state database /nonexistent-dir/x/state.db") == true
        }
    }
}

@Suite struct InterruptedRevisionTests {
    @Test func pendingRevisionsOfAKilledApplyBecomeFailed() async throws {
        let (db, dir) = try StateDBTests.tempDB()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await db.addRevision(StateDBTests.rev("a", "x", "sha256:1"))
        #expect(try await db.failInterrupted(project: "a") == [1])
        let r = try await db.revision(project: "a", number: 1)
        #expect(r?.outcome == .failed && r?.reason == "apply (interrupted)")
        #expect(try await db.failInterrupted(project: "a") == [])
    }
}
