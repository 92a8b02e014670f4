import CNCCore
import CNCSystem
import Foundation

/// Container directories under `<root>/containers/<id>/`: cnc.json (our config), config.json
/// (OCI runtime spec), state.json (written by the monitor), logs, upper/work dirs.
public struct ContainerStore: Sendable {
    public let root: String
    public var containersDir: String { root + "/containers" }
    public var volumesDir: String { root + "/volumes" }

    public init(root: String) { self.root = root }

    public func directory(_ id: ContainerID) -> String { containersDir + "/" + id.rawValue }

    public func ids() -> [ContainerID] {
        ((try? FileSystem.listDirectory(containersDir)) ?? []).compactMap { try? ContainerID($0) }
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
    public func loadState(_ id: ContainerID) -> ContainerState {
        let path = directory(id) + "/state.json"
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
        if !name.contains("/"), let target = FileSystem.readLink(namesDir + "/" + name), let id = try? ContainerID(target),
           FileSystem.isDirectory(directory(id)) { return id }
        let matches = ids.filter { $0.matches(prefix: ref) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 { throw CNCError(.conflict, "multiple containers match \"\(ref)\"; use more of the ID") }
        throw CNCError(.notFound, "No such container: \(ref)")
    }

    /// Names are symlinks `<root>/names/<name> -> <id>`: creating one is the atomic claim.
    public var namesDir: String { root + "/names" }

    public func claimName(_ name: String, for id: ContainerID) throws {
        try FileSystem.createDirectory(namesDir, mode: 0o700)
        do { try FileSystem.createSymlink(id.rawValue, at: namesDir + "/" + name) } catch let e as CNCError where e.code == .alreadyExists {
            let owner = FileSystem.readLink(namesDir + "/" + name) ?? "?"
            throw CNCError(.conflict, "the container name \"/\(name)\" is already in use by container \"\(owner)\"; remove (or rename) that container to reuse that name")
        }
    }

    public func releaseName(_ name: String) { try? FileSystem.remove(namesDir + "/" + name) }

    // MARK: ephemeral containers

    /// Where a foreground `--rm` container keeps its directory: on a tmpfs, reached through a
    /// symlink at its usual place. It lives milliseconds to hours and never outlives the
    /// command, so it needs no disk; on ext4 its dozen files a start cost more than the start
    /// itself (inode allocation skips recently deleted inodes, and a busy host deletes many).
    /// `runRoot` when it is a tmpfs, else a private directory in /dev/shm named after this
    /// root; nil when neither is available (the directory then stays in the state root).
    public func ephemeralRoot(runRoot: String) -> String? {
        if FileSystem.isTmpfs(runRoot), FileSystem.privateDirectory(runRoot) {
            let dir = runRoot + "/containers"
            return FileSystem.privateDirectory(dir) ? dir : nil
        }
        guard FileSystem.isTmpfs("/dev/shm") else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the state root: a name, not a secret
        for b in root.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let dir = "/dev/shm/cnc-" + String(hash, radix: 16)
        return FileSystem.privateDirectory(dir) ? dir : nil
    }

    /// Removes a container directory: when it is a symlink to an ephemeral directory, the
    /// target goes too (and the ephemeral root, once empty). Returns true when `dir` was such
    /// a symlink (nothing left to delete).
    @discardableResult
    public func removeEphemeral(_ dir: String) -> Bool {
        guard let target = FileSystem.readLink(dir), target.hasPrefix("/") else { return false }
        try? FileSystem.removeTree(target)
        try? FileSystem.remove(dir)
        let parent = FileSystem.directoryName(target)
        if parent.hasPrefix("/dev/shm/cnc-") || parent.hasSuffix("/containers") { FileSystem.removeEmptyDirectory(parent) }
        return true
    }
}
