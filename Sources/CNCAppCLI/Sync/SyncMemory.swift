import CNCGitOps
import CNCSystem
import Foundation

/// What the agent remembers per app between cycles and restarts (`<root>/gitops/<hash>/apps.json`,
/// written atomically at the end of a cycle): the commit it last decided on and how that ended,
/// and the commit whose spec runs. An app whose last word at the branch's head is a rollback or
/// a failure is pinned: that commit is not tried again. A cycle killed mid-way leaves the file
/// as it was, so a restart tries again and converges.
struct SyncMemory: Codable, Equatable {
    struct App: Codable, Equatable {
        var path: String
        /// The branch head this app was last synced at.
        var commit: String
        var outcome: SyncAppReport.Outcome
        /// The commit whose spec runs now (after a rollback: the last good one), if known.
        var running: String?
    }

    var apps: [String: App] = [:]

    static func load(_ path: String) -> SyncMemory {
        guard let bytes = try? FileSystem.readBytes(path),
              let m = try? JSONDecoder().decode(SyncMemory.self, from: Data(bytes)) else { return SyncMemory() }
        return m
    }

    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try FileSystem.writeAtomically(Array(try encoder.encode(self)), to: path, mode: 0o600)
    }

    /// The commits whose checked-out trees are still in use.
    var runningCommits: Set<String> { Set(apps.values.compactMap(\.running)) }
}
