import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem

extension CNCCommand {
    /// cnc volume commands (volume create/ls/inspect/rm/prune).
    static let volumeCommands: [any ParsableCommand.Type] = [VolumeGroup.self]
}

/// `cnc volume ...`: docker's `docker volume`, over the volumes cncapply's apps use too.
struct VolumeGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage volumes.",
        discussion: "EXAMPLES\n  cnc volume create data\n  cnc volume ls\n  cnc volume rm data",
        subcommands: [VolumeCreate.self, VolumeList.self, VolumeInspect.self, VolumeRemove.self, VolumePrune.self])
}

/// What the volume commands share: docker's documents and filters.
enum VolumeText {
    /// `volume inspect`'s document (docker's shape; Labels and Options are null when empty).
    static func document(_ v: Volume, store: VolumeStore) -> JSONValue {
        .object([
            "CreatedAt": .string(v.createdAt), "Driver": .string(v.driver),
            "Labels": v.labels.isEmpty ? .null : .object(v.labels.mapValues { .string($0) }),
            "Mountpoint": .string(store.dataPath(v.name)), "Name": .string(v.name),
            "Options": v.options.isEmpty ? .null : .object(v.options.mapValues { .string($0) }),
            "Scope": .string("local"),
        ])
    }

    /// `volume ls`'s row: its fields as docker's formatter has them.
    static func row(_ v: Volume, store: VolumeStore, links: Int) -> JSONValue {
        .object([
            "Name": .string(v.name), "Driver": .string(v.driver), "Scope": .string("local"),
            "Mountpoint": .string(store.dataPath(v.name)), "Labels": .string(labelText(v.labels)),
            "Links": .string(String(links)), "Size": .string("N/A"), "CreatedAt": .string(v.createdAt),
            "Availability": .string("N/A"), "Group": .string("N/A"), "Status": .string("N/A"),
        ])
    }

    static func labelText(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { $0.value.isEmpty ? $0.key : "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// docker's `label=KEY`, `label=KEY=VALUE` and `label!=...` test.
    static func hasLabel(_ labels: [String: String], _ spec: String) -> Bool { PruneFilter.hasLabel(labels, spec) }

    /// The filter keys of `volume ls` (completed by the shells).
    static let filterKeys = ["dangling", "driver", "label", "name"]

    /// `--filter` of `volume ls` and `volume prune`: dangling, name, label, label!, driver.
    /// Refuses an unknown key before anything is listed or removed (docker's daemon words).
    static func checkFilters(_ filters: [String]) throws { try ContainerList.checkFilterKeys(filters, known: Set(filterKeys + ["all"])) }

    static func matches(_ v: Volume, used: Bool, filters: [String]) throws -> Bool {
        for f in filters {
            let negated = f.contains("!=")
            let kv = f.replacingOccurrences(of: "!=", with: "=").split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CNCError(.invalidArgument, "bad format of filter (expected name=value)") }
            let ok: Bool
            switch kv[0] {
            case "dangling":
                guard let want = ["true": true, "1": true, "false": false, "0": false][kv[1].lowercased()] else {
                    throw CNCError(.invalidArgument, "invalid filter 'dangling=\(kv[1])'")
                }
                ok = want == !used
            case "name": ok = v.name.contains(kv[1])
            case "driver": ok = v.driver == kv[1]
            case "label": ok = hasLabel(v.labels, kv[1]) != negated
            case "all": ok = true
            default: throw CNCError(.invalidArgument, "Invalid filter '\(kv[0])'")
            }
            if !ok { return false }
        }
        return true
    }
}
