import CNCCore
import Foundation

/// The engine's durable memory: apps, revisions, containers, events, in one SQLite file
/// (WAL mode) with a versioned schema. One writer at a time per root is the RootLock's job;
/// SQLite's own locking keeps concurrent readers consistent.
public actor StateDB {
    /// The schema this build writes. Older files are migrated forward; newer ones are refused.
    public static let schemaVersion = 3

    let db: SQLiteDatabase

    /// Opens (creating if needed) `<root>/state.db`.
    public init(path: String) throws {
        db = try SQLiteDatabase(path: path)
        // WAL with synchronous=NORMAL, the WAL file kept between runs and no checkpoint at
        // close (SQLiteDatabase.keepWAL): an apply that changes nothing writes nothing, and
        // one that records a revision appends to the WAL without an fsync (a checkpoint, with
        // its syncs, runs once the WAL holds 256 pages; journal_size_limit then truncates the
        // file to 1 MiB). Crash safety: SQLite's WAL mode with synchronous=NORMAL never
        // corrupts the database — a process crash loses nothing (the frames are in the page
        // cache), a power loss can roll back the last commits, never part of one. What that
        // could lose is history (the last revisions and events): the containers' own state and
        // config hashes (labels in cnc.json) are the runtime's, and planning reads them there.
        // The 256-page bound keeps the WAL recovery each first open does (reading the WAL) small.
        try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=256; PRAGMA journal_size_limit=1048576;")
        try Self.migrate(db)
    }

    static func migrate(_ db: SQLiteDatabase) throws {
        let version = try db.query("PRAGMA user_version").first?.first?.int ?? 0
        if version > Int64(schemaVersion) {
            throw CNCError(.unsupported, "state database \(db.path) has schema version \(version), newer than this cnc understands (\(schemaVersion)); upgrade cnc")
        }
        if version < 1 {
            try db.transaction {
                try db.execute("""
                CREATE TABLE IF NOT EXISTS apps (
                    project TEXT PRIMARY KEY,
                    spec_files TEXT NOT NULL DEFAULT '[]',
                    working_dir TEXT NOT NULL DEFAULT '',
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE IF NOT EXISTS revisions (
                    project TEXT NOT NULL,
                    number INTEGER NOT NULL,
                    spec TEXT NOT NULL,
                    images TEXT NOT NULL,
                    config_hashes TEXT NOT NULL,
                    replicas TEXT NOT NULL,
                    author TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    PRIMARY KEY (project, number)
                );
                CREATE TABLE IF NOT EXISTS containers (
                    id TEXT PRIMARY KEY,
                    project TEXT NOT NULL,
                    service TEXT NOT NULL,
                    replica INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    config_hash TEXT NOT NULL,
                    section_hashes TEXT NOT NULL,
                    applied_sections TEXT NOT NULL,
                    image TEXT NOT NULL,
                    image_digest TEXT,
                    revision INTEGER NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX IF NOT EXISTS containers_project ON containers(project, service, replica);
                CREATE TABLE IF NOT EXISTS events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    project TEXT NOT NULL,
                    time INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    message TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS events_project ON events(project, id);
                PRAGMA user_version = 1;
                """)
            }
        }
        // 2: each revision keeps the digests of the files it was applied from (spec files,
        // includes, .env and env files), so `cncapply status` can tell a spec edited on the host.
        if version < 2 {
            try db.transaction {
                try db.execute("ALTER TABLE revisions ADD COLUMN files TEXT NOT NULL DEFAULT '{}'; PRAGMA user_version = 2;")
            }
        }
        // Version 3: the commit a revision came from (`cncapply sync`). Independent of any
        // step between 1 and 3: it only adds its own column, when it is not there yet.
        if version < 3 {
            try db.transaction {
                let columns = try db.query("PRAGMA table_info(revisions)").compactMap { $0.count > 1 ? $0[1].text : nil }
                if !columns.contains("origin") {
                    try db.execute("ALTER TABLE revisions ADD COLUMN origin TEXT NOT NULL DEFAULT ''")
                }
                try db.execute("PRAGMA user_version = 3")
            }
        }
    }

    // MARK: apps

    public func recordApp(project: String, specFiles: [String], workingDirectory: String, now: Int64) throws {
        try db.query("""
            INSERT INTO apps(project, spec_files, working_dir, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(project) DO UPDATE SET spec_files = excluded.spec_files, working_dir = excluded.working_dir,
            updated_at = excluded.updated_at
            """, [.text(project), .text(try json(specFiles)), .text(workingDirectory), .int(now)])
    }

    /// Projects this root knows, with the spec files they were last applied from.
    public func apps() throws -> [(project: String, specFiles: [String], workingDirectory: String)] {
        try db.query("SELECT project, spec_files, working_dir FROM apps ORDER BY project").map { row in
            (row[0].text ?? "", (try? decode([String].self, row[1])) ?? [], row[2].text ?? "")
        }
    }

    public func removeApp(project: String) throws {
        try db.transaction {
            try db.query("DELETE FROM apps WHERE project = ?", [.text(project)])
            try db.query("DELETE FROM containers WHERE project = ?", [.text(project)])
        }
    }

    // MARK: revisions

    /// Stores `revision` under the next number for its project and returns that number.
    /// Older revisions past `keep` are dropped (never the newest).
    public func addRevision(_ revision: RevisionRecord, keep: Int = 10) throws -> Int {
        try db.transaction {
            let next = (try db.query("SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE project = ?", [.text(revision.project)])
                .first?.first?.int) ?? 1
            try db.query("""
                INSERT INTO revisions(project, number, spec, images, config_hashes, replicas, author, created_at, outcome, reason, files, origin)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .text(revision.project), .int(next), .text(revision.spec), .text(try json(revision.images)),
                    .text(try json(revision.configHashes)), .text(try json(revision.replicas)), .text(revision.author),
                    .int(revision.createdAt), .text(revision.outcome.rawValue), .text(revision.reason), .text(try json(revision.files)),
                    .text(try revision.origin.map { try json($0) } ?? ""),
                ])
            if keep > 0 {
                try db.query("DELETE FROM revisions WHERE project = ? AND number <= ?", [.text(revision.project), .int(next - Int64(keep))])
            }
            return Int(next)
        }
    }

    /// Marks revisions still `pending` (their apply was killed) as failed; returns their numbers.
    @discardableResult
    public func failInterrupted(project: String) throws -> [Int] {
        try db.transaction {
            let rows = try db.query("SELECT number FROM revisions WHERE project = ? AND outcome = 'pending' ORDER BY number", [.text(project)])
            try db.query("UPDATE revisions SET outcome = 'failed', reason = reason || ' (interrupted)' WHERE project = ? AND outcome = 'pending'",
                         [.text(project)])
            return rows.compactMap { $0.first?.int.map(Int.init) }
        }
    }

    public func setOutcome(project: String, number: Int, _ outcome: RevisionRecord.Outcome) throws {
        try db.query("UPDATE revisions SET outcome = ? WHERE project = ? AND number = ?",
                     [.text(outcome.rawValue), .text(project), .int(Int64(number))])
    }

    /// All kept revisions of `project`, oldest first.
    public func revisions(project: String) throws -> [RevisionRecord] {
        try db.query("""
            SELECT project, number, spec, images, config_hashes, replicas, author, created_at, outcome, reason, files, origin
            FROM revisions WHERE project = ? ORDER BY number
            """, [.text(project)]).map(revision)
    }

    public func revision(project: String, number: Int) throws -> RevisionRecord? {
        try db.query("""
            SELECT project, number, spec, images, config_hashes, replicas, author, created_at, outcome, reason, files, origin
            FROM revisions WHERE project = ? AND number = ?
            """, [.text(project), .int(Int64(number))]).first.map(revision)
    }

    /// The newest revision of `project` that succeeded, if any.
    public func lastSucceededRevision(project: String) throws -> RevisionRecord? {
        try db.query("""
            SELECT project, number, spec, images, config_hashes, replicas, author, created_at, outcome, reason, files, origin
            FROM revisions WHERE project = ? AND outcome = 'succeeded' ORDER BY number DESC LIMIT 1
            """, [.text(project)]).first.map(revision)
    }

    /// The services of `project`'s newest revision, read without the actor or a migration
    /// (for shell completion, which must be quick and change nothing). The file must exist.
    public static func lastRevisionServices(path: String, project: String) throws -> [String] {
        let db = try SQLiteDatabase(path: path)
        let rows = try db.query("SELECT replicas FROM revisions WHERE project = ? ORDER BY number DESC LIMIT 1", [.text(project)])
        guard let text = rows.first?.first?.text,
              let replicas = try? JSONDecoder().decode([String: Int].self, from: Data(text.utf8)) else { return [] }
        return replicas.keys.sorted()
    }

    /// Each project's newest revision number, in one query (for `cncapply ls`).
    public func lastRevisionNumbers() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for row in try db.query("SELECT project, MAX(number) FROM revisions GROUP BY project") {
            if let p = row[0].text, let n = row[1].int { out[p] = Int(n) }
        }
        return out
    }

    /// Every image digest a kept revision of any app names: protected from pruning.
    public func protectedImageDigests() throws -> Set<String> {
        var out: Set<String> = []
        for row in try db.query("SELECT images FROM revisions") {
            if let images = try? decode([String: String].self, row[0]) { out.formUnion(images.values) }
        }
        return out
    }

    private func revision(_ row: [SQLiteDatabase.Value]) throws -> RevisionRecord {
        RevisionRecord(
            project: row[0].text ?? "", number: Int(row[1].int ?? 0), spec: row[2].text ?? "",
            images: try decode([String: String].self, row[3]), configHashes: try decode([String: String].self, row[4]),
            replicas: try decode([String: Int].self, row[5]), author: row[6].text ?? "", createdAt: row[7].int ?? 0,
            outcome: RevisionRecord.Outcome(rawValue: row[8].text ?? "") ?? .failed, reason: row[9].text ?? "",
            files: try decode([String: String].self, row[10]),
            origin: row.count > 11 && row[11].text?.isEmpty == false ? try decode(RevisionOrigin.self, row[11]) : nil)
    }

    // MARK: containers

    public func upsertContainer(_ c: ContainerRecord) throws {
        try db.query("""
            INSERT OR REPLACE INTO containers(id, project, service, replica, name, config_hash, section_hashes,
            applied_sections, image, image_digest, revision, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .text(c.id), .text(c.project), .text(c.service), .int(Int64(c.replica)), .text(c.name), .text(c.configHash),
                .text(try json(c.sectionHashes)), .text(try json(c.appliedSections)), .text(c.image),
                c.imageDigest.map { .text($0) } ?? .null, .int(Int64(c.revision)), .int(c.createdAt),
            ])
    }

    public func removeContainer(id: String) throws {
        try db.query("DELETE FROM containers WHERE id = ?", [.text(id)])
    }

    /// The app's container records. Records whose config hash is their own service's entry in
    /// `upToDate` (service name -> desired config hash) come without their applied sections
    /// (nothing to diff against; decoding them is most of the cost). The hash alone is not
    /// enough: two services can share one configuration, and a container of one that changed
    /// still needs its sections when its old hash is the other's current one.
    public func containers(project: String, upToDate: [String: String] = [:]) throws -> [ContainerRecord] {
        try db.query("""
            SELECT id, project, service, replica, name, config_hash, section_hashes, applied_sections, image, image_digest,
            revision, created_at FROM containers WHERE project = ? ORDER BY service, replica
            """, [.text(project)]).map { row in
            let current = upToDate[row[2].text ?? ""].map { $0 == row[5].text } ?? false
            return ContainerRecord(
                id: row[0].text ?? "", project: row[1].text ?? "", service: row[2].text ?? "", replica: Int(row[3].int ?? 0),
                name: row[4].text ?? "", configHash: row[5].text ?? "",
                sectionHashes: current ? [:] : try decode([String: String].self, row[6]),
                appliedSections: current ? [:] : try decode([String: JSONValue].self, row[7]),
                image: row[8].text ?? "",
                imageDigest: row[9].text, revision: Int(row[10].int ?? 0), createdAt: row[11].int ?? 0)
        }
    }

    // MARK: events

    public func addEvent(project: String, kind: String, message: String, time: Int64) throws {
        try db.query("INSERT INTO events(project, time, kind, message) VALUES (?, ?, ?, ?)",
                     [.text(project), .int(time), .text(kind), .text(message)])
    }

    /// True when the app's last word was `cncapply down` (no apply after it): its containers
    /// are gone on purpose, and its revisions stay only as history.
    public func isDown(project: String) throws -> Bool {
        try db.query("""
            SELECT kind FROM events WHERE project = ? AND kind IN ('applied', 'failed', 'down') ORDER BY id DESC LIMIT 1
            """, [.text(project)]).first?[0].text == "down"
    }

    public func events(project: String, limit: Int = 100) throws -> [EventRecord] {
        try db.query("SELECT id, project, time, kind, message FROM events WHERE project = ? ORDER BY id DESC LIMIT ?",
                     [.text(project), .int(Int64(limit))]).reversed().map { row in
            EventRecord(id: row[0].int ?? 0, project: row[1].text ?? "", time: row[2].int ?? 0, kind: row[3].text ?? "",
                        message: row[4].text ?? "")
        }
    }

    // MARK: coding

    private func json<T: Encodable>(_ value: T) throws -> String { try CanonicalJSON.string(value) }

    private func decode<T: Decodable>(_ type: T.Type, _ value: SQLiteDatabase.Value) throws -> T {
        guard let text = value.text else { throw CNCError(.integrity, "state database \(db.path): expected JSON text, found \(value)") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw CNCError.failed("decode", "a record of \(db.path)", code: .integrity, cause: error)
        }
    }
}
