/// How a container gets one namespace (`--pid`, `--ipc`, `--uts`, `--cgroupns`, Compose `pid`,
/// `ipc`, `uts`, `cgroup`): its own, or the host's. `shareable` is Docker's default for ipc
/// and means the container's own here too.
public enum NamespaceMode: String, Codable, Hashable, Sendable, CaseIterable {
    case `private`, host, shareable
}
