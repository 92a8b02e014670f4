import CNCCgroups
import CNCCore
import CNCSystem
import Foundation

/// What listing containers by label needs of each (cncapply's observe): the identity, labels,
/// limits and cgroup from cnc.json, and the state. A no-op apply of 20 services spent a quarter
/// of its time decoding whole cnc.json files with Codable (mounts, healthchecks, ulimits,
/// devices: each nested type's first decode costs runtime metadata lookups); this decodes only
/// these keys and reads every other byte of the file without materializing it.
public struct ContainerSummary: Sendable {
    public var id: ContainerID
    public var name: String
    public var labels: [String: String]
    public var limits: CgroupLimits
    /// Creation time, nanoseconds since the epoch (the listing is newest first, as `list()`).
    public var created: Int64
    public var cgroupPath: String
    /// state.json, brought up to date as `Runtime.list()` does (dead monitor, frozen cgroup).
    public var state: ContainerState
}

/// The keys of cnc.json a summary reads; the same names and types as ContainerConfig's.
struct ContainerConfigSummary: Decodable {
    var id: ContainerID
    var name: String
    var labels: [String: String] = [:]
    var limits = CgroupLimits()
    var cgroupParent: String?
    var created: Int64 = 0

    enum CodingKeys: String, CodingKey { case id, name, labels, limits, cgroupParent, created }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(ContainerID.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        limits = try c.decodeIfPresent(CgroupLimits.self, forKey: .limits) ?? CgroupLimits()
        cgroupParent = try c.decodeIfPresent(String.self, forKey: .cgroupParent)
        created = try c.decodeIfPresent(Int64.self, forKey: .created) ?? 0
    }

    /// The same path as ContainerConfig.cgroupPath.
    var cgroupPath: String { (cgroupParent.map { $0.trimmingSlashes } ?? "cnc") + "/" + id.rawValue }
}

extension ContainerStore {
    /// Every container's summary, newest first; one whose cnc.json cannot be read is left out,
    /// as `all()` leaves it out.
    public func summaries() -> [(ContainerSummary, directory: String)] {
        let decoder = JSONDecoder()
        return ids().compactMap { id -> (ContainerSummary, directory: String)? in
            let dir = directory(id)
            guard let bytes = try? FileSystem.readBytes(dir + "/cnc.json"),
                  let c = try? decoder.decode(ContainerConfigSummary.self, from: Data(bytes)) else { return nil }
            return (ContainerSummary(id: c.id, name: c.name, labels: c.labels, limits: c.limits, created: c.created,
                                     cgroupPath: c.cgroupPath, state: loadState(directory: dir)), dir)
        }.sorted { $0.0.created > $1.0.created }
    }
}

extension Runtime {
    /// Every container's summary with its state brought up to date, newest first: what
    /// `list()` gives, without decoding the rest of each cnc.json.
    public func summaries() -> [ContainerSummary] {
        store.summaries().map { s, _ in
            var s = s
            s.state = refreshed(s.state, cgroupPath: s.cgroupPath)
            return s
        }
    }
}
