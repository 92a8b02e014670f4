import CNCCore
import CNCSystem
import CSystemd

/// One journal entry of a container: when, what, and how (PRIORITY 3 is stderr).
public struct JournalEntry: Sendable, Equatable {
    public var realtimeMicros: UInt64
    public var message: [UInt8]
    public var priority: Int
    public var partial: Bool
}

/// Reads the local journal through sd-journal, matching fields (`CONTAINER_ID_FULL=<id>`):
/// the entries in a time window, then (following) new ones as they come.
/// sd-journal objects are thread-agnostic: one thread at a time (a follower hands it on).
public final class JournalReader: @unchecked Sendable {
    let j: OpaquePointer

    public init(matches: [String]) throws {
        var j: OpaquePointer?
        let r = sd_journal_open(&j, Int32(SD_JOURNAL_LOCAL_ONLY))
        guard r >= 0, let j else { throw CNCError(.system, "failed to open the journal: \(SystemError.describe(-r))") }
        self.j = j
        for m in matches {
            let r = m.withCString { sd_journal_add_match(j, $0, 0) }
            if r < 0 { throw CNCError(.system, "failed to match \(m) in the journal: \(SystemError.describe(-r))") }
        }
    }

    deinit { sd_journal_close(j) }

    /// Entries from `sinceMicros` (or the start) before `untilMicros`, oldest first; the reader
    /// then stands after the last entry, for `follow`.
    public func entries(sinceMicros: UInt64? = nil, untilMicros: UInt64? = nil) -> [JournalEntry] {
        if let sinceMicros { sd_journal_seek_realtime_usec(j, sinceMicros) } else { sd_journal_seek_head(j) }
        var out: [JournalEntry] = []
        while let e = next() {
            if let untilMicros, e.realtimeMicros >= untilMicros { continue }
            out.append(e)
        }
        return out
    }

    /// Emits entries as they are written, until `done()` (asked between waits of at most
    /// 100 ms) says to stop; the entries written before it said so are emitted first.
    public func follow(emit: (JournalEntry) -> Void, done: () -> Bool) {
        while true {
            while let e = next() { emit(e) }
            if done() {
                while let e = next() { emit(e) }
                return
            }
            _ = sd_journal_wait(j, 100_000)
        }
    }

    func next() -> JournalEntry? {
        guard sd_journal_next(j) > 0 else { return nil }
        var usec: UInt64 = 0
        _ = sd_journal_get_realtime_usec(j, &usec)
        let message = field("MESSAGE") ?? []
        let priority = field("PRIORITY").flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 6
        let partial = field("CONTAINER_PARTIAL_MESSAGE").map { $0 == Array("true".utf8) } ?? false
        return JournalEntry(realtimeMicros: usec, message: message, priority: priority, partial: partial)
    }

    /// The current entry's value of `name`, without the `NAME=` prefix.
    func field(_ name: String) -> [UInt8]? {
        var data: UnsafeRawPointer?
        var length = 0
        guard name.withCString({ sd_journal_get_data(j, $0, &data, &length) }) >= 0, let data else { return nil }
        let all = UnsafeRawBufferPointer(start: data, count: length)
        let skip = name.utf8.count + 1
        return all.count >= skip ? Array(all[skip...]) : []
    }
}
