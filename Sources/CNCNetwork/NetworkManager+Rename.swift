import CNCCore
import CNCSystem

extension NetworkManager {
    /// `cnc rename` of an attached container: the new name replaces the old one at once in its
    /// attachment record, cnc-dns's records file, its own hosts file and its peers', as docker
    /// renames in its embedded DNS (the old name no longer resolves). Aliases are kept. A
    /// container without a record (not running, no network) has nothing to change.
    public func rename(container: ContainerID, from old: String, to new: String) throws {
        try locked {
            guard var record = try? decode(AttachmentRecord.self, paths.record(container.rawValue)), isAlive(record) else { return }
            let before = record
            record.options.name = new
            for i in record.attachments.indices {
                record.attachments[i].names = Self.renamed(record.attachments[i].names, from: old, to: new)
            }
            try writeRecord(record)
            let live = try records()
            try writeDNSRecords(live)
            let own = hostsPath(record)
            if FileSystem.exists(own) { try FileSystem.rewriteInPlace(Array(hostsContent(for: record, all: live).utf8), at: own) }
            try refreshPeers(of: before, excluding: container, all: live)
        }
    }

    /// An attachment's names with the container's name `old` (its first) replaced by `new`;
    /// aliases stay, and a name already there is not repeated.
    static func renamed(_ names: [String], from old: String, to new: String) -> [String] {
        var out: [String] = []
        for (i, n) in names.enumerated() {
            let name = i == 0 && n == old ? new : n
            if !out.contains(name) { out.append(name) }
        }
        return out
    }
}
