import CNCBuild
import CNCCore
import CNCRuntime
import CNCSystem

extension BuildRequest {
    /// The bytes of `--secret` entries, read once when the build starts (buildx's words when a
    /// source is missing). Later entries with the same id win.
    public static func readSecrets(_ secrets: [BuildSecret], environment: (String) -> String?) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for s in secrets {
            switch s.source {
            case .file(let path):
                guard FileSystem.exists(path) else {
                    throw CNCError(.notFound, "failed to stat \(path): stat \(path): no such file or directory")
                }
                out[s.id] = try FileSystem.readBytes(path)
            case .env(let name):
                guard let value = environment(name) else {
                    throw CNCError(.notFound, "secret \(s.id): environment variable \(name) is not set")
                }
                out[s.id] = Array(value.utf8)
            }
        }
        return out
    }
}

/// What RUN --mount=type=secret adds to one RUN: bind mounts of files made for this step
/// alone (removed when it ends), and variables for `env=` secrets.
struct SecretMounts {
    var mounts: [MountSpec] = []
    var env: [String] = []
    var files: [String] = []

    func remove() { for f in files { try? FileSystem.remove(f) } }
}

extension Builder {
    /// A secret mount: the secret's bytes in a file of this build's scratch directory (mode,
    /// uid and gid as asked; 0400 root:root by default), bound read-only at its target. A
    /// secret the build was not given is skipped, unless the mount says `required=true`.
    func secretMount(_ m: RunMount, into out: inout SecretMounts) throws {
        let id = m.id ?? ""
        guard let bytes = request.secrets[id] else {
            if m.required { throw CNCError(.notFound, "secret \(id): not found") }
            return
        }
        if let name = m.env { out.env.append("\(name)=\(String(decoding: bytes, as: UTF8.self))") }
        guard let target = m.target else { return }
        guard target.hasPrefix("/") else { throw CNCError(.invalidArgument, "mount target must be an absolute path") }
        let mode = try m.mode.map { try Ownership.mode($0) } ?? 0o400
        func number(_ text: String?, _ what: String) throws -> UInt32 {
            guard let text else { return 0 }
            guard let v = UInt32(text) else { throw CNCError(.invalidArgument, "invalid \(what) \"\(text)\" for secret \(id)") }
            return v
        }
        let uid = try number(m.uid, "uid"), gid = try number(m.gid, "gid")
        let dir = scratch + "/secrets"
        try FileSystem.createDirectory(dir, mode: 0o700)
        let file = dir + "/" + ContainerID.random().short
        out.files.append(file)
        try FileSystem.writeAtomically(bytes, to: file, mode: 0o600)
        try FileSystem.setOwner(file, uid: uid, gid: gid)
        try FileSystem.setMode(file, mode)
        out.mounts.append(MountSpec(type: .bind, source: file, target: target, readOnly: true))
    }

    /// Mount-point stubs the runtime made for a RUN's mounts: each directory above a mount target
    /// that no lower layer has and that holds nothing but hidden entries is no part of the layer.
    static func mountStubs(_ targets: Set<String>, upper: String, lowers: [String]) -> Set<String> {
        var hidden = targets
        for target in targets.sorted(by: { $0.count > $1.count }) {
            var dir = ContainerChanges.parentPath(target)
            while dir != "/" {
                guard !lowers.contains(where: { FileSystem.exists($0 + dir) || FileSystem.isSymlink($0 + dir) }),
                      let names = try? FileSystem.listDirectory(upper + dir),
                      names.allSatisfy({ hidden.contains(dir + "/" + $0) }) else { break }
                hidden.insert(dir)
                dir = ContainerChanges.parentPath(dir)
            }
        }
        return hidden
    }
}
