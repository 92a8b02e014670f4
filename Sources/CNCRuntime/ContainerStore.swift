import CNCCore
import CNCSystem
import Foundation

/// Container directories under `<root>/containers/<id>/`: cnc.json (our config), config.json
/// (OCI runtime spec), state.json (written by the monitor), logs, upper/work dirs.
///
/// Ephemeral containers (foreground `--rm` runs that keep no log) have their directory and
/// their name on a tmpfs instead (`ephemeralDir`, `ephemeralNamesDir`): they never outlive the
/// command, and on ext4 the dozen files and links of each start cost more than the start
/// itself (inode allocation skips recently deleted inodes, and a busy host deletes many).
public struct ContainerStore: Sendable {
    public let root: String
    /// Where ephemeral containers live: `<runRoot>/containers` when the run root is a tmpfs,
    /// else a private directory in /dev/shm named after the state root; nil without a tmpfs.
    /// Created on demand (see claimName).
    public let ephemeralDir: String?
    public var containersDir: String { root + "/containers" }
    public var volumesDir: String { root + "/volumes" }
    public var ephemeralNamesDir: String? { ephemeralDir.map { $0 + "-names" } }

    public init(root: String, runRoot: String? = nil) {
        self.root = root
        let run = runRoot ?? Runtime.defaultRunRoot(stateRoot: root)
        if FileSystem.isTmpfs(run) || (!FileSystem.exists(run) && FileSystem.isTmpfs(FileSystem.directoryName(run))) {
            ephemeralDir = run + "/containers"
        } else if FileSystem.isTmpfs("/dev/shm") {
            ephemeralDir = "/dev/shm/cnc-" + FNV1a.name(root)
        } else {
            ephemeralDir = nil
        }
    }

    /// The directory of container `id`: its ephemeral one when it has one, else the state root's.
    public func directory(_ id: ContainerID) -> String {
        if let e = ephemeralDir, FileSystem.exists(e + "/" + id.rawValue) { return e + "/" + id.rawValue }
        return containersDir + "/" + id.rawValue
    }

    /// True when `dir` is an ephemeral container's directory.
    public func isEphemeral(_ dir: String) -> Bool { ephemeralDir.map { dir.hasPrefix($0 + "/") } ?? false }

    public func ids() -> [ContainerID] {
        var names = (try? FileSystem.listDirectory(containersDir)) ?? []
        if let e = ephemeralDir { names += (try? FileSystem.listDirectory(e)) ?? [] }
        return names.compactMap { try? ContainerID($0) }
    }

    public func loadConfig(_ id: ContainerID) throws -> ContainerConfig {
        let path = directory(id) + "/cnc.json"
        do {
            return try JSONDecoder().decode(ContainerConfig.self, from: Data(try FileSystem.readBytes(path)))
        } catch {
            throw CNCError.failed("read", "container \(id.short)", code: .notFound, cause: error)
        }
    }

    public func saveConfig(_ c: ContainerConfig) throws {
        let bytes: [UInt8]
        if let json = c.jsonValue {
            bytes = CanonicalJSON.bytes(json)
        } else {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            bytes = Array(try enc.encode(c))
        }
        try FileSystem.writeReplacing(bytes, to: directory(c.id) + "/cnc.json", mode: 0o600)
    }

    /// The monitor's state.json, or "created" before the first start.
    public func loadState(_ id: ContainerID) -> ContainerState { loadState(directory: directory(id)) }

    func loadState(directory: String) -> ContainerState {
        let path = directory + "/state.json"
        guard let bytes = try? FileSystem.readBytes(path),
              let s = try? JSONDecoder().decode(ContainerState.self, from: Data(bytes)) else { return ContainerState() }
        return s
    }

    public func writeState(_ id: ContainerID, _ s: ContainerState) throws {
        try FileSystem.writeReplacing(CanonicalJSON.bytes(s.jsonValue), to: directory(id) + "/state.json")
    }

    public func load(_ id: ContainerID) throws -> Container {
        Container(config: try loadConfig(id), state: loadState(id), directory: directory(id))
    }

    public func all() -> [Container] {
        ids().compactMap { try? load($0) }.sorted { $0.config.created > $1.config.created }
    }

    /// By full ID, unique ID prefix, or name (with or without a leading "/").
    public func resolve(_ ref: String) throws -> ContainerID {
        let name = ref.hasPrefix("/") ? String(ref.dropFirst()) : ref
        let ids = ids()
        if let id = try? ContainerID(ref), ids.contains(id) { return id }
        if !name.contains("/"), let link = nameLink(name), let target = FileSystem.readLink(link), let id = try? ContainerID(target),
           FileSystem.isDirectory(directory(id)) { return id }
        let matches = ids.filter { $0.matches(prefix: ref) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 { throw CNCError(.conflict, "multiple containers match \"\(ref)\"; use more of the ID") }
        throw CNCError(.notFound, "No such container: \(ref)")
    }

    /// Names are symlinks `<root>/names/<name> -> <id>` (ephemeral containers': in
    /// `ephemeralNamesDir`); creating one is the claim, under names.lock so one name is never
    /// claimed in both places.
    public var namesDir: String { root + "/names" }

    /// The name link of `name`, in whichever names directory holds it.
    public func nameLink(_ name: String) -> String? {
        for dir in [namesDir] + (ephemeralNamesDir.map { [$0] } ?? []) where FileSystem.readLink(dir + "/" + name) != nil {
            return dir + "/" + name
        }
        return nil
    }

    /// Claims `name` for `id`. `ephemeral`: in the tmpfs names directory, which (with the
    /// ephemeral container directory) is created here as a private directory; fails with
    /// .unsupported when there is no tmpfs.
    public func claimName(_ name: String, for id: ContainerID, ephemeral: Bool = false) throws {
        try FileSystem.createDirectory(namesDir, mode: 0o700)
        let lock = try FileLock(path: root + "/names.lock")
        defer { lock.unlock() }
        if let taken = nameLink(name) {
            let owner = FileSystem.readLink(taken) ?? "?"
            throw CNCError(.conflict, "Conflict. The container name \"/\(name)\" is already in use by container \"\(owner)\". You have to remove (or rename) that container to be able to reuse that name.")
        }
        var dir = namesDir
        if ephemeral {
            guard let e = ephemeralDir, let names = ephemeralNamesDir, FileSystem.privateDirectory(e), FileSystem.privateDirectory(names) else {
                throw CNCError(.unsupported, "no tmpfs for ephemeral containers")
            }
            dir = names
        }
        try FileSystem.createSymlink(id.rawValue, at: dir + "/" + name)
    }

    /// Releases `name` (only while it still names `owner`, when given: a container removed
    /// twice at once must not free a name someone claimed in between); the ephemeral
    /// directories go once nothing is left in them.
    public func releaseName(_ name: String, of owner: ContainerID? = nil) {
        if let owner, let link = nameLink(name), FileSystem.readLink(link) != owner.rawValue { return }
        try? FileSystem.remove(namesDir + "/" + name)
        guard let e = ephemeralDir, let names = ephemeralNamesDir, FileSystem.readLink(names + "/" + name) != nil else { return }
        let lock = try? FileLock(path: root + "/names.lock")
        defer { lock?.unlock() }
        try? FileSystem.remove(names + "/" + name)
        if (try? FileSystem.removeDirectory(names)) != nil { try? FileSystem.removeDirectory(e) }
    }

    /// Removes the ephemeral directories when nothing is left in them (after a sweep).
    public func pruneEphemeralDirectories() {
        guard let e = ephemeralDir, let names = ephemeralNamesDir, FileSystem.exists(e) || FileSystem.exists(names) else { return }
        let lock = try? FileLock(path: root + "/names.lock")
        defer { lock?.unlock() }
        if (try? FileSystem.removeDirectory(names)) != nil || !FileSystem.exists(names) { try? FileSystem.removeDirectory(e) }
    }
}
