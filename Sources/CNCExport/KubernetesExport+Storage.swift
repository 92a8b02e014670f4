import CNCCore
import CNCSpec
import Foundation

extension KubernetesExport {
    /// PersistentVolumeClaims for the named volumes that no StatefulSet claims per replica.
    mutating func addClaims() {
        var templated = Set<String>()
        for (name, svc) in app.services where svc.deploy.mode != .global && svc.deploy.replicas > 1 {
            templated.formUnion(ownedVolumeClaims(name, svc))
        }
        for key in app.volumes.keys.sorted() {
            guard let v = app.volumes[key] else { continue }
            let users = app.services.filter { $0.value.volumes.contains { $0.type == .volume && $0.source == key } }.keys.sorted()
            if v.external {
                lost("volumes.\(key).external", "the PersistentVolumeClaim \(KubeValues.name(v.name)) must already exist in the namespace")
                continue
            }
            lost("volumes.\(key).driver_opts", "a PersistentVolumeClaim's storage comes from the cluster's StorageClass")
            if users.count > 1 {
                lostAlways("volumes.\(key)", "shared by \(users.joined(separator: ", ")): a ReadWriteOnce claim mounts on one node at a time, so their pods must be scheduled together (or use a ReadWriteMany StorageClass)")
            }
            let kname = KubeValues.name(key)
            guard !templated.contains(kname) else { continue }
            let (labels, annotations) = volumeLabels(kname)
            add("PersistentVolumeClaim", "v1", kname, metadata: metadata(kname, labels: labels, annotations: annotations), [("spec", claimSpec())])
        }
    }

    /// ConfigMaps for `configs:`, Secrets for `secrets:` (those the enabled services use).
    mutating func addConfigObjects() throws {
        for (section, kind, items) in [("configs", "ConfigMap", app.configs), ("secrets", "Secret", app.secrets)] {
            let used = Set(app.services.values.flatMap { section == "configs" ? $0.configs : $0.secrets }.map(\.source))
            for key in items.keys.sorted() where used.contains(key) {
                guard let c = items[key] else { continue }
                if c.external {
                    lost("\(section).\(key).external", "the \(kind) \(KubeValues.name(c.name)) must already exist in the namespace, with the key \(dataKey(key))")
                    continue
                }
                let bytes = try content(section, key, c)
                let kname = KubeValues.name(key)
                if kind == "Secret" {
                    add(kind, "v1", kname, [("type", J.s("Opaque")), ("data", J.map([dataKey(key): Data(bytes).base64EncodedString()]))])
                } else if let text = String(validating: bytes, as: UTF8.self) {
                    add(kind, "v1", kname, [("data", J.map([dataKey(key): text]))])
                } else {
                    add(kind, "v1", kname, [("binaryData", J.map([dataKey(key): Data(bytes).base64EncodedString()]))])
                }
            }
        }
    }

    /// The key a config's or secret's content has in its ConfigMap or Secret.
    func dataKey(_ key: String) -> String {
        let k = String(key.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        return k.isEmpty ? "content" : k
    }

    private func content(_ section: String, _ key: String, _ c: ConfigSpec) throws -> [UInt8] {
        if let text = c.content { return Array(text.utf8) }
        if let v = c.environment {
            guard let value = inputs.environment[v] else { throw CNCError(.invalidSpec, "\(section).\(key): variable \(v) is not set") }
            return Array(value.utf8)
        }
        if let file = c.file {
            guard let bytes = inputs.readFile(file) else { throw CNCError(.notFound, "\(section).\(key): cannot read \(file)") }
            return bytes
        }
        throw CNCError(.invalidSpec, "\(section).\(key): no content (file, environment or content)")
    }

    /// Named volumes -> claims, anonymous -> emptyDir, tmpfs -> emptyDir (Memory), binds -> hostPath (reported).
    mutating func mountVolumes(_ base: String, _ svc: ServiceSpec, claimTemplates: Set<String>, volumes: inout [JSONValue], mounts: inout [JSONValue]) {
        var claimed = Set<String>()
        for (i, m) in svc.volumes.enumerated() {
            let p = "\(base).volumes[\(i)]"
            var volumeName: String
            var source: JSONValue?
            switch m.type {
            case .volume:
                if let key = m.source, let v = app.volumes[key] {
                    volumeName = KubeValues.name(key)
                    if !claimTemplates.contains(volumeName), !claimed.contains(volumeName) {
                        source = J.o([("persistentVolumeClaim", J.o([("claimName", J.s(v.external ? KubeValues.name(v.name) : volumeName))]))])
                    }
                    claimed.insert(volumeName)
                    if m.volume?.nocopy != true {
                        lostAlways(p, "a new PersistentVolumeClaim starts empty: Kubernetes does not copy the image's files at \(m.target) into it as Docker does")
                    }
                } else {
                    volumeName = "anon-\(i)"
                    source = J.o([("emptyDir", J.o([]))])
                }
            case .bind:
                volumeName = "bind-\(i)"
                let type = m.bind?.createHostPath == false ? nil : J.s("DirectoryOrCreate")
                source = J.o([("hostPath", J.o([("path", J.s(m.source ?? "")), ("type", type)]))])
                lostAlways(p, "bind mount of \(m.source ?? "?") becomes a hostPath volume: that path must exist on every node the pod may run on")
                if m.bind?.propagation != nil { lost("\(p).bind.propagation", "mount propagation of hostPath volumes is set by mountPropagation, not carried") }
            case .tmpfs:
                volumeName = "tmpfs-\(i)"
                source = J.o([("emptyDir", J.o([("medium", J.s("Memory")), ("sizeLimit", m.tmpfs?.size.map { J.s(KubeValues.memory($0)) })]))])
                if m.tmpfs?.mode != nil { lost("\(p).tmpfs.mode", "an emptyDir's mode is not set per volume") }
            }
            if let source, case .object(var o) = source {
                o["name"] = J.s(volumeName)
                volumes.append(.object(o))
            }
            mounts.append(J.o([("name", J.s(volumeName)), ("mountPath", J.s(m.target)), ("readOnly", m.readOnly ? .bool(true) : nil),
                               ("subPath", m.volume?.subpath.map(J.s))]))
        }
        for (i, t) in svc.tmpfs.enumerated() {
            let parts = t.split(separator: ":", maxSplits: 1)
            let path = String(parts.first ?? "")
            var size: JSONValue?
            for opt in parts.dropFirst().first?.split(separator: ",") ?? [] where opt.hasPrefix("size=") {
                size = (try? ByteSize(parsing: String(opt.dropFirst(5)))).map { J.s(KubeValues.memory($0)) }
            }
            let name = "tmpfs-t\(i)"
            volumes.append(J.o([("name", J.s(name)), ("emptyDir", J.o([("medium", J.s("Memory")), ("sizeLimit", size)]))]))
            mounts.append(J.o([("name", J.s(name)), ("mountPath", J.s(path))]))
        }
    }

    /// configs and secrets, each file mounted at its target from its ConfigMap or Secret.
    mutating func mountFiles(_ base: String, _ svc: ServiceSpec, volumes: inout [JSONValue], mounts: inout [JSONValue]) {
        for (section, refs) in [("configs", svc.configs), ("secrets", svc.secrets)] {
            for (i, r) in refs.enumerated() {
                let table = section == "configs" ? app.configs : app.secrets
                guard let spec = table[r.source] else { continue }
                let objectName = KubeValues.name(spec.external ? spec.name : r.source)
                let volumeName = "\(section == "configs" ? "config" : "secret")-\(KubeValues.name(r.source))-\(i)"
                let item = J.o([("key", J.s(dataKey(r.source))), ("path", J.s(dataKey(r.source))), ("mode", r.mode.map { J.i($0) })])
                let source: (String, JSONValue) = section == "configs"
                    ? ("configMap", J.o([("name", J.s(objectName)), ("items", .array([item]))]))
                    : ("secret", J.o([("secretName", J.s(objectName)), ("items", .array([item]))]))
                volumes.append(J.o([("name", J.s(volumeName)), source]))
                mounts.append(J.o([("name", J.s(volumeName)), ("mountPath", J.s(r.target)), ("subPath", J.s(dataKey(r.source))), ("readOnly", .bool(true))]))
                if r.uid != nil || r.gid != nil {
                    lostAlways("\(base).\(section)[\(i)]", "the owner of a mounted \(section == "configs" ? "ConfigMap" : "Secret") file follows the pod's fsGroup, not uid/gid")
                }
            }
        }
    }
}
