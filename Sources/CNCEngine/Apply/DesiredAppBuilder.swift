import CNCCore
import CNCPlanner
import CNCSpec
import Crypto
import Foundation

/// Turns a compiled AppSpec (and the digests its images resolved to) into the planner's
/// desired state: hashed sections without the live-updatable limits, the content hashes of
/// the config and secret files a service mounts, dependencies, update policy, and the typed
/// specs the backend creates from (carried by the plan's actions).
public enum DesiredAppBuilder {
    /// Sections removed from the config hash because the cgroup driver changes them in place.
    static let liveLimitPaths: [[String]] = [
        ["cpu_shares"],
        ["cpu_period"],
        ["cpu_quota"],
        ["deploy", "resources", "limits", "cpus"],
        ["deploy", "resources", "limits", "memory"],
        ["deploy", "resources", "limits", "pids"],
        ["deploy", "resources", "reservations", "memory"],
    ]

    public static func build(_ spec: AppSpec, imageDigests: [String: CNCCore.Digest] = [:]) throws -> DesiredApp {
        var services: [DesiredService] = []
        for (name, service) in spec.services.sorted(by: { $0.key < $1.key }) {
            var s = service
            s.mountedSecrets = try mountedSecrets(service: s, app: spec)
            var sections = try s.hashSections()
            for path in liveLimitPaths { remove(path, from: &sections) }
            let files = try fileHashes(service: s, app: spec)
            if !files.isEmpty { sections["files"] = .object(files) }
            let image = s.image?.description ?? "build:\(name)"
            // The limits a container of this service is created with (one function for both).
            let live = ServiceContainerFactory.limits(s).live
            let u = s.deploy.updateConfig
            let policy = UpdatePolicy(
                order: u.order == .startFirst ? .startFirst : .stopFirst, parallelism: u.parallelism, delay: u.delay,
                failureAction: UpdatePolicy.FailureAction(rawValue: u.failureAction.rawValue) ?? .pause,
                // The monitor window only matters when a failure would be acted on (rollback);
                // waiting it out otherwise would slow every update for nothing.
                monitor: u.failureAction == .rollback ? u.monitor : .zero, gateTimeout: s.cnc.healthGateTimeout)
            let deps = s.dependsOn.sorted(by: { $0.key < $1.key }).map { dep, d in
                Dependency(service: dep, condition: Dependency.Condition(rawValue: d.condition.rawValue) ?? .started, restart: d.restart)
            }
            let volumeKeys = s.volumes.compactMap { $0.type == .volume ? $0.source : nil }.filter { spec.volumes[$0] != nil }.sorted()
            var service = DesiredService(
                name: name, replicas: s.deploy.replicas, image: image, imageDigest: s.image.flatMap { imageDigests[$0.description] },
                sections: sections, liveLimits: live, dependsOn: deps, networks: s.networks.keys.sorted(),
                volumes: volumeKeys, update: policy, containerName: s.containerName, spec: s)
            if s.build != nil { service.built = true }
            // Volumes named outside the app's scope (`name:`, external ones) are mounted by that name.
            let sources = Dictionary(volumeKeys.compactMap { key in
                spec.volumes[key].flatMap { $0.name == "\(spec.name)_\(key)" ? nil : (key, $0.name) }
            }, uniquingKeysWith: { a, _ in a })
            if !sources.isEmpty { service.volumeSources = sources }
            services.append(service)
        }
        // Each network's and volume's own tree, not the whole app's (which re-encodes every
        // service: a third of building the desired state of 20 services).
        let networks = try spec.networks.sorted(by: { $0.key < $1.key }).map { key, n in
            DesiredNetwork(name: key, config: try spec.networkJSON(key), external: n.external, spec: n)
        }
        let volumes = try spec.volumes.sorted(by: { $0.key < $1.key }).map { key, v in
            DesiredVolume(name: key, config: try spec.volumeJSON(key), external: v.external, spec: v)
        }
        return DesiredApp(project: spec.name, services: services, networks: networks, volumes: volumes)
    }

    /// "config:NAME" / "secret:NAME" -> sha256 of the content the service would mount; an
    /// encrypted secret's is its redaction (the file's name and a keyed digest, never a plain
    /// hash a short secret could be guessed from).
    static func fileHashes(service s: ServiceSpec, app: AppSpec) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for ref in s.configs {
            guard let c = app.configs[ref.source], !c.external, let bytes = try content(of: c, app: app) else { continue }
            out["config:\(ref.source)"] = .string("sha256:" + Hex.encode(SHA256.hash(data: bytes)))
        }
        for ref in s.secrets {
            guard let c = app.secrets[ref.source], !c.external else { continue }
            if let file = c.file, let sealed = app.sealedFiles[file] {
                out["secret:\(ref.source)"] = .string(SecretRedaction.text(file: sealed.shown, digest: sealed.digest))
            } else if let bytes = try content(of: c, app: app) {
                out["secret:\(ref.source)"] = .string("sha256:" + Hex.encode(SHA256.hash(data: bytes)))
            }
        }
        return out
    }

    /// A config's or secret's content: inline, an environment variable's value, the decrypted
    /// content of an encrypted file, or the file's.
    static func content(of c: ConfigSpec, app: AppSpec) throws -> [UInt8]? {
        if let inline = c.content { return Array(inline.utf8) }
        if let environment = c.environment { return Array((ProcessInfo.processInfo.environment[environment] ?? "").utf8) }
        guard let file = c.file else { return nil }
        if let sealed = app.sealedFiles[file] { return sealed.content }
        if file.hasSuffix(".enc") {
            throw CNCError(.invalidArgument, "secret file \(file) is encrypted, and a stored revision keeps no secrets: give the spec (-f) and its age key")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CNCError(.notFound, "cannot read \(file)")
        }
        return [UInt8](data)
    }

    /// The service's `secrets:` as files to mount (Compose: read-only at /run/secrets/NAME,
    /// owner 0:0 and mode 0444 unless the long syntax says otherwise). External secrets need a
    /// swarm: refused.
    static func mountedSecrets(service s: ServiceSpec, app: AppSpec) throws -> [MountedSecret] {
        try s.secrets.compactMap { ref in
            guard let c = app.secrets[ref.source] else { return nil }
            guard !c.external else { throw CNCError(.unsupported, "not supported yet: external secret \"\(ref.source)\" (it needs a swarm)") }
            guard let bytes = try content(of: c, app: app) else { return nil }
            func id(_ text: String?, _ what: String) throws -> UInt32 {
                guard let text else { return 0 }
                guard let v = UInt32(text) else { throw CNCError(.invalidArgument, "secret \(ref.source): \(what) \"\(text)\" is not a number") }
                return v
            }
            return MountedSecret(target: ref.target, content: bytes, uid: try id(ref.uid, "uid"), gid: try id(ref.gid, "gid"),
                                 mode: UInt32(ref.mode ?? 0o444))
        }
    }

    static func remove(_ path: [String], from sections: inout [String: JSONValue]) {
        guard let head = path.first else { return }
        if path.count == 1 { sections[head] = nil; return }
        guard case .object(var inner)? = sections[head] else { return }
        remove(Array(path.dropFirst()), from: &inner)
        sections[head] = .object(inner)
    }
}
