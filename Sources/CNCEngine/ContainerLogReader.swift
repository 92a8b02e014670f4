import CNCCore
import CNCRuntime
import CNCSystem
import CNCSystemd
import enum CNCMonitorCore.RFC3339

/// A container's log as `cnc logs` and `cncapply logs` read it, whatever its driver wrote:
/// the json-lines files, or the journal (sd-journal, matched on CONTAINER_ID_FULL). `none`
/// keeps nothing to read, as docker says.
/// One thread at a time (`cncapply logs -f` hands each to its follower thread).
public final class ContainerLogReader: @unchecked Sendable {
    let runtime: Runtime
    let container: Container
    let journal: JournalReader?
    /// json-file: the current file's size when opened; following starts there.
    let offset: Int64

    public init(_ runtime: Runtime, _ c: Container) throws {
        self.runtime = runtime
        container = c
        switch c.config.log.effectiveDriver {
        case .none:
            throw CNCError(.invalidArgument, "configured logging driver does not support reading")
        case .journald:
            journal = try JournalReader(matches: ["CONTAINER_ID_FULL=" + c.config.id.rawValue])
            offset = 0
        case .jsonFile:
            journal = nil
            offset = FileSystem.fileSize(c.directory + "/container.log") ?? 0
        }
    }

    /// The entries written so far, from `sinceTime` (the entries' RFC 3339 form) on.
    public func entries(sinceTime: String? = nil) -> [LogEntry] {
        guard let journal else { return runtime.readLogs(container, sinceTime: sinceTime) }
        return journal.entries().map(Self.entry).filter { e in sinceTime.map { e.time >= $0 } ?? true }
    }

    /// Emits what is written after `entries()` until the container stops.
    public func follow(emit: (LogEntry) -> Void) {
        guard let journal else { return runtime.followLogs(container, from: offset, emit: emit) }
        let id = container.config.id.rawValue
        journal.follow(emit: { emit(Self.entry($0)) }, done: { !((try? runtime.container(id).state.isActive) ?? false) })
    }

    /// A journal entry as a log entry: stderr for PRIORITY 3, the newline a whole line had.
    static func entry(_ e: JournalEntry) -> LogEntry {
        LogEntry(log: String(decoding: e.message, as: UTF8.self) + (e.partial ? "" : "\n"),
                 stream: e.priority == 3 ? "stderr" : "stdout",
                 time: RFC3339.format(nanos: Int64(e.realtimeMicros) * 1000))
    }
}
