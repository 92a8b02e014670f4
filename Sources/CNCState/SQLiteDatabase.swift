import CNCCore
import CSQLite

/// A thin, safe wrapper over one SQLite connection: prepared statements, typed binds, errors
/// that name the statement. The state DB is its only user.
final class SQLiteDatabase: @unchecked Sendable {
    // @unchecked: the connection is opened SQLITE_OPEN_FULLMUTEX (serialized), and StateDB is an actor.
    private let handle: OpaquePointer
    let path: String

    init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close(db) }
            throw CNCError(.io, "failed to open state database \(path): \(message)")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 10_000)
        keepWAL()
    }

    /// Keeps the WAL file between connections (SQLITE_FCNTL_PERSIST_WAL) and skips the
    /// checkpoint at close (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): otherwise every run that writes
    /// re-creates the WAL (header sync, directory sync) and checkpoints it at close (two more
    /// syncs). StateDB says why that stays crash safe. Both are hints: failing, SQLite keeps
    /// its defaults, which are correct, only slower.
    private func keepWAL() {
        var on: Int32 = 1
        _ = sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &on)
        _ = csqlite_no_checkpoint_on_close(handle, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    enum Value: Sendable, Equatable {
        case null, int(Int64), double(Double), text(String)
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? lastError
            sqlite3_free(err)
            throw CNCError(.io, "failed to run SQL on \(path): \(message)", context: ["sql": String(sql.prefix(80))])
        }
    }

    /// Runs `sql` with `args` bound and returns every row.
    @discardableResult
    func query(_ sql: String, _ args: [Value] = []) throws -> [[Value]] {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw CNCError(.io, "failed to prepare SQL on \(path): \(lastError)", context: ["sql": String(sql.prefix(80))])
        }
        defer { sqlite3_finalize(stmt) }
        for (i, arg) in args.enumerated() {
            let idx = Int32(i + 1)
            switch arg {
            case .null: sqlite3_bind_null(stmt, idx)
            case .int(let v): sqlite3_bind_int64(stmt, idx, v)
            case .double(let v): sqlite3_bind_double(stmt, idx, v)
            case .text(let v): sqlite3_bind_text(stmt, idx, v, -1, csqlite_transient())
            }
        }
        var rows: [[Value]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw CNCError(.io, "failed to run SQL on \(path): \(lastError)", context: ["sql": String(sql.prefix(80))])
            }
            var row: [Value] = []
            for c in 0..<sqlite3_column_count(stmt) {
                switch sqlite3_column_type(stmt, c) {
                case SQLITE_INTEGER: row.append(.int(sqlite3_column_int64(stmt, c)))
                case SQLITE_FLOAT: row.append(.double(sqlite3_column_double(stmt, c)))
                case SQLITE_NULL: row.append(.null)
                default:
                    if let p = sqlite3_column_text(stmt, c) {
                        row.append(.text(String(cString: p)))
                    } else {
                        row.append(.null)
                    }
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// Runs `body` in one IMMEDIATE transaction; rolls back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    private var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}

extension SQLiteDatabase.Value {
    var int: Int64? { if case .int(let v) = self { return v }; return nil }
    var text: String? { if case .text(let v) = self { return v }; return nil }
}
