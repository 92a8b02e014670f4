import CNCCore
import CNCSystem

/// What a container gets that must never be stored in clear text under the state root:
/// environment values and secret files that came from encrypted inputs (cncapply's age-encrypted
/// `.env.enc`, `env_file: *.enc`, `secrets:`). They live on a tmpfs (`ContainerStore.sealedDirectory`),
/// where cnc-init reads the variables (`envfile`) and from where the files are bound read-only.
public struct SealedMaterial: Sendable {
    public struct File: Sendable {
        public var target: String
        public var content: [UInt8]
        public var uid: UInt32
        public var gid: UInt32
        public var mode: UInt32

        public init(target: String, content: [UInt8], uid: UInt32, gid: UInt32, mode: UInt32) {
            self.target = target
            self.content = content
            self.uid = uid
            self.gid = gid
            self.mode = mode
        }
    }

    /// "KEY=value" entries; the container's stored `env` holds their redactions.
    public var env: [String] = []
    public var files: [File] = []

    public init(env: [String] = [], files: [File] = []) {
        self.env = env
        self.files = files
    }

    public var isEmpty: Bool { env.isEmpty && files.isEmpty }
}

extension ContainerStore {
    /// A container's sealed material: beside the ephemeral containers, on a tmpfs (the run root,
    /// else /dev/shm), never on the state root's disk; nil without a tmpfs.
    public func sealedDirectory(_ id: ContainerID) -> String? { sealedRoot.map { $0 + "/" + id.rawValue } }
    public var sealedRoot: String? { ephemeralDir.map { $0 + "-sealed" } }
}

extension Runtime {
    /// Writes `m` to the container's tmpfs directory (0700, files 0600 / the secret's mode and
    /// owner) and points the config at it: the variables' keys in `sealedEnv`, each file a
    /// read-only bind at its target.
    func writeSealed(_ m: SealedMaterial, into c: inout ContainerConfig) throws {
        guard !m.isEmpty else { return }
        guard let dir = store.sealedDirectory(c.id) else {
            throw CNCError(.unsupported, "container \(c.name) has secrets, which are kept on a tmpfs: neither \(runRoot) nor /dev/shm is one")
        }
        // /dev/shm is world-writable: the parent must be ours and private (checked again after
        // the container's own directory is made, in case it was swapped meanwhile). A container
        // of a user namespace reads its directory as its mapped root (cnc-init loads the
        // variables there): the parent lets others pass (0711, never list), the directory is
        // that root's alone.
        let parent = FileSystem.directoryName(dir), mapped = Self.mappedRoot(c)
        guard FileSystem.privateDirectory(parent, traversable: true) else {
            throw CNCError(.permissionDenied, "\(parent) is not a private directory of this user (0700): refusing to keep secrets there")
        }
        try FileSystem.createDirectory(dir, mode: 0o700)
        guard FileSystem.privateDirectory(parent, traversable: true), FileSystem.privateDirectory(dir) else {
            throw CNCError(.permissionDenied, "\(dir) is not a private directory of this user (0700): refusing to keep secrets there")
        }
        if let mapped {
            try FileSystem.setMode(parent, 0o711)
            try FileSystem.setOwner(dir, uid: mapped.uid, gid: mapped.gid)
        }
        if !m.env.isEmpty {
            var n = NulConfig()
            for e in m.env { n.add("env", e) }
            try FileSystem.writeReplacing(n.bytes, to: dir + "/env", mode: 0o600)
            if let mapped { try FileSystem.setOwner(dir + "/env", uid: mapped.uid, gid: mapped.gid) }
            c.sealedEnv = m.env.map { String($0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }
        }
        for (i, f) in m.files.enumerated() {
            let path = dir + "/file-\(i)"
            try FileSystem.writeReplacing(f.content, to: path, mode: f.mode & 0o7777)
            // The owner the container sees: in a user namespace, its ids as the host knows them.
            let (uid, gid) = c.ownerOnHost?(f.uid, f.gid) ?? (f.uid, f.gid)
            try FileSystem.setOwner(path, uid: uid, gid: gid)
            c.mounts.append(MountSpec(type: .bind, source: path, target: f.target, readOnly: true))
        }
    }

    /// Removes a container's sealed material (nothing to do for one without).
    func removeSealed(_ id: ContainerID) {
        guard let dir = store.sealedDirectory(id), FileSystem.exists(dir) else { return }
        try? FileSystem.removeTree(dir)
        try? FileSystem.removeDirectory(FileSystem.directoryName(dir))  // only once empty
    }

    /// Sealed directories whose container is gone (a create killed half-way, a directory removed
    /// by hand), older than `isOld` says: removed, so no secret outlives its container.
    func sweepSealed(isOld: (String) -> Bool) {
        guard let root = store.sealedRoot else { return }
        for name in (try? FileSystem.listDirectory(root)) ?? [] {
            guard let id = try? ContainerID(name), !FileSystem.exists(store.directory(id)), isOld(root + "/" + name) else { continue }
            try? FileSystem.removeTree(root + "/" + name)
        }
        try? FileSystem.removeDirectory(root)  // only once empty
    }

    /// init.conf / exec entries for the sealed variables: the file cnc-init reads them from.
    func addSealedEnv(_ c: ContainerConfig, to n: inout NulConfig) {
        guard let keys = c.sealedEnv, !keys.isEmpty, let dir = store.sealedDirectory(c.id) else { return }
        n.add("envfile", dir + "/env")
    }

    /// The workload's variables without those the sealed file gives (their stored values are redactions).
    func unsealedEnv(_ c: ContainerConfig, extra: [String] = []) -> [String] {
        let env = workloadEnv(c, extra: extra)
        guard let keys = c.sealedEnv, !keys.isEmpty else { return env }
        let sealed = Set(keys)
        return env.filter { !sealed.contains(String($0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")) }
    }
}
