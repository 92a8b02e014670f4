import CNCCore
import CNCSystem
import Foundation

/// One line of a container's json-lines log.
public struct LogEntry: Codable, Sendable, Equatable {
    public var log: String
    public var stream: String
    public var time: String

    public init(log: String, stream: String, time: String) {
        self.log = log
        self.stream = stream
        self.time = time
    }
}

extension Runtime {
    /// The log files of a container, oldest first (rotated files, then the current one).
    public func logFiles(_ c: Container) -> [String] {
        let base = c.directory + "/container.log"
        var files: [String] = []
        var i = max(1, c.config.log.maxFile) - 1
        while i >= 1 { if FileSystem.exists("\(base).\(i)") { files.append("\(base).\(i)") }; i -= 1 }
        files.append(base)
        return files
    }

    /// Reads log entries; `sinceNanos` filters by time.
    public func readLogs(_ c: Container, sinceTime: String? = nil) -> [LogEntry] {
        var out: [LogEntry] = []
        let dec = JSONDecoder()
        for f in logFiles(c) {
            guard let bytes = try? FileSystem.readBytes(f) else { continue }
            for line in bytes.split(separator: 10) {
                guard let e = try? dec.decode(LogEntry.self, from: Data(line)) else { continue }
                if let sinceTime, e.time < sinceTime { continue }
                out.append(e)
            }
        }
        return out
    }

    /// Follows the current log file from byte `offset`, calling `emit` for each new entry until
    /// the container stops (and its last lines are read).
    public func followLogs(_ c: Container, from offset: Int64, emit: (LogEntry) -> Void) {
        let path = c.directory + "/container.log"
        var offset = offset
        var pending: [UInt8] = []
        let dec = JSONDecoder()
        var idle = 0
        while true {
            let size = FileSystem.fileSize(path) ?? 0
            if size < offset { offset = 0 }  // rotated
            if size > offset, let bytes = try? FileSystem.readBytes(path), bytes.count > Int(offset) {
                pending += bytes[Int(offset)...]
                offset = Int64(bytes.count)
                while let nl = pending.firstIndex(of: 10) {
                    if let e = try? dec.decode(LogEntry.self, from: Data(pending[..<nl])) { emit(e) }
                    pending.removeSubrange(...nl)
                }
                idle = 0
                continue
            }
            let s = refreshed(Container(config: c.config, state: store.loadState(c.config.id), directory: c.directory))
            if !s.isActive { idle += 1; if idle > 2 { return } }
            Processes.sleep(milliseconds: 50)
        }
    }
}
