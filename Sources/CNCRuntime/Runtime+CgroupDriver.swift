import CNCCgroups
import CNCCore
import CNCSystem

extension Runtime {
    /// The file in which a state root remembers the cgroup driver of its containers.
    public var cgroupDriverFile: String { store.root + "/cgroup-driver" }

    /// The driver this root's containers were made with, if one was recorded.
    public var recordedCgroupDriver: CgroupDriverKind? {
        (try? FileSystem.readText(cgroupDriverFile)).flatMap { CgroupDriverKind(rawValue: $0.trimmingSpaces) }
    }

    /// The recorded driver of the root at `stateRoot`, while it has containers (what `auto`
    /// keeps to); nil for a root without a record or without containers.
    public static func recordedCgroupDriver(stateRoot: String, runRoot: String) -> CgroupDriverKind? {
        guard let text = try? FileSystem.readText(stateRoot + "/cgroup-driver"),
              let kind = CgroupDriverKind(rawValue: text.trimmingSpaces) else { return nil }
        return ContainerStore(root: stateRoot, runRoot: runRoot).ids().isEmpty ? nil : kind
    }

    /// Records this runtime's driver for the state root, refusing the other driver while the
    /// root has containers: two managers of one cgroup tree fight (the kubelet's lesson).
    func claimCgroupDriver() throws {
        let mine = cgroups.kind
        let recorded = recordedCgroupDriver
        if recorded == mine { return }
        if let recorded, !store.ids().isEmpty {
            throw CNCError(.conflict, "cannot create a container with the \(mine.rawValue) cgroup driver: the containers of \(store.root) "
                + "are managed by the \(recorded.rawValue) cgroup driver (use --cgroup-manager \(recorded.rawValue), or remove them first)")
        }
        try FileSystem.createDirectory(store.root, mode: 0o711)
        try FileSystem.writeAtomically(mine.rawValue, to: cgroupDriverFile)
    }
}
