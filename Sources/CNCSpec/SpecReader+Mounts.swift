import CNCCore

extension SpecReader {
    static let portExamples = "examples: 80, 8080:80, 127.0.0.1:8080:80/tcp, 9000-9001:9000-9001"

    func readPorts(_ node: YAMLNode, _ path: String) -> [PortSpec] {
        var out: [PortSpec] = []
        for (i, item) in sequenceItems(node, path) {
            let p = "\(path)[\(i)]"
            if case .mapping = item.content {
                if let port = readLongPort(item, p) {
                    if out.count != i { sourcePaths["\(path)[\(out.count)]"] = p }
                    out.append(port)
                }
            } else if let text = string(item, p) {
                switch Self.parseShortPort(text) {
                case .success(let ports):
                    for port in ports {
                        if out.count != i { sourcePaths["\(path)[\(out.count)]"] = p }
                        out.append(port)
                    }
                case .failure(let why): error(item, p, "\"\(text)\" is not a port mapping: \(why.message) (\(Self.portExamples))")
                }
            }
        }
        return out
    }

    private func readLongPort(_ node: YAMLNode, _ path: String) -> PortSpec? {
        guard let f = fields(node, path, allowed: ["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"]) else { return nil }
        guard let tn = f["target"] else {
            error(node, path, "target is required")
            return nil
        }
        guard let target = int(tn, f.path("target"), min: 1, max: 65535) else { return nil }
        var port = PortSpec(target: Int(target))
        if let n = f["published"], !n.isNull, let text = string(n, f.path("published")) {
            if let r = PortRange(parsing: text) { port.published = r } else {
                error(n, f.path("published"), "\"\(text)\" is not a port or port range (examples: 8080, 8000-8010)")
            }
        }
        if let n = f["host_ip"], let ip = string(n, f.path("host_ip")) {
            if IPAddress.isIPv4(ip) || IPAddress.isIPv6(ip) { port.hostIP = ip } else { error(n, f.path("host_ip"), "\"\(ip)\" is not an IP address") }
        }
        if let n = f["protocol"], let proto = choice(n, f.path("protocol"), PortProtocol.self, what: "a protocol") { port.protocol = proto }
        if let n = f["mode"], let m = string(n, f.path("mode")), m != "ingress" {
            // host: a swarm publishes on the node of each task (export carries it); one host does anyway.
            if m == "host" { port.mode = .host } else { error(n, f.path("mode"), "\"\(m)\" is not a port mode (valid: host, ingress)") }
        }
        port.name = optionalString(f, "name")
        port.appProtocol = optionalString(f, "app_protocol")
        return port
    }

    struct Problem: Error { let message: String }

    /// `[HOST_IP:][HOST[-END]:]CONTAINER[-END][/PROTOCOL]`; IPv6 host IPs in brackets.
    static func parseShortPort(_ raw: String) -> Result<[PortSpec], Problem> {
        var text = Substring(raw.trimmingSpaces)
        var proto = PortProtocol.tcp
        if let slash = text.lastIndex(of: "/") {
            let name = String(text[text.index(after: slash)...])
            guard let p = PortProtocol(rawValue: name) else { return .failure(Problem(message: "unknown protocol \"\(name)\" (tcp, udp or sctp)")) }
            proto = p
            text = text[..<slash]
        }
        var hostIP: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(Problem(message: "missing \"]\" after the IPv6 address")) }
            hostIP = String(text[text.index(after: text.startIndex)..<close])
            text = text[text.index(after: close)...]
            guard text.hasPrefix(":") else { return .failure(Problem(message: "expected \":\" after the host IP")) }
            text = text.dropFirst()
        }
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if hostIP == nil, parts.count == 3 { hostIP = parts.removeFirst() }
        guard parts.count == 1 || parts.count == 2 else { return .failure(Problem(message: "too many \":\"")) }
        if let ip = hostIP {
            guard IPAddress.isIPv4(ip) || IPAddress.isIPv6(ip) else { return .failure(Problem(message: "\"\(ip)\" is not an IP address")) }
        }
        guard let containerText = parts.last, let container = PortRange(parsing: containerText), container.start > 0 else {
            return .failure(Problem(message: "\"\(parts.last ?? "")\" is not a container port (1-65535)"))
        }
        var host: PortRange?
        if parts.count == 2, !parts[0].isEmpty {
            guard let h = PortRange(parsing: parts[0]) else { return .failure(Problem(message: "\"\(parts[0])\" is not a host port (0-65535)")) }
            host = h
        }
        if container.count > 1, let h = host, h.count != container.count {
            return .failure(Problem(message: "the host range has \(h.count) ports but the container range \(container.count)"))
        }
        var out: [PortSpec] = []
        for offset in 0..<container.count {
            var p = PortSpec(target: container.start + offset)
            p.protocol = proto
            p.hostIP = hostIP
            if let h = host { p.published = container.count > 1 ? PortRange(h.start + offset) : h }
            out.append(p)
        }
        return .success(out)
    }

    func readExpose(_ node: YAMLNode, _ path: String) -> [String] {
        var out: [String] = []
        for (i, item) in sequenceItems(node, path) {
            guard let s = string(item, "\(path)[\(i)]") else { continue }
            var port = Substring(s)
            var proto = "tcp"
            if let slash = port.lastIndex(of: "/") { proto = String(port[port.index(after: slash)...]); port = port[..<slash] }
            guard PortRange(parsing: String(port)) != nil, PortProtocol(rawValue: proto) != nil else {
                error(item, "\(path)[\(i)]", "\"\(s)\" is not a port (examples: 80, 80/udp, 9000-9010)")
                continue
            }
            out.append("\(port)/\(proto)")
        }
        return out
    }

    // MARK: volumes

    static let volumeModes: Set<String> = ["ro", "rw", "z", "Z", "U", "idmap", "nocopy", "private", "rprivate", "shared", "rshared", "slave", "rslave"]

    func readServiceVolumes(_ node: YAMLNode, _ path: String) -> [ServiceVolumeSpec] {
        var out: [ServiceVolumeSpec] = []
        var targets: [String: Int] = [:]
        for (i, item) in sequenceItems(node, path) {
            let p = "\(path)[\(i)]"
            let v: ServiceVolumeSpec?
            if case .mapping = item.content { v = readLongVolume(item, p) } else if let text = string(item, p, allowEmpty: false) {
                v = shortVolume(text, item, p)
            } else { v = nil }
            guard let v else { continue }
            if let prev = targets[v.target] {
                error(item, p, "target \(v.target) is already mounted by \(path)[\(prev)]")
                continue
            }
            targets[v.target] = i
            if out.count != i { sourcePaths["\(path)[\(out.count)]"] = p }
            out.append(v)
        }
        return out
    }

    private func shortVolume(_ text: String, _ node: YAMLNode, _ path: String) -> ServiceVolumeSpec? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            error(node, path, "\"\(text)\" is not a volume (examples: data:/var/lib/data, ./site:/usr/share/nginx/html:ro, /cache)")
            return nil
        }
        if parts.count == 1 {
            guard text.hasPrefix("/") else {
                error(node, path, "\"\(text)\" must be an absolute container path (or SOURCE:TARGET)")
                return nil
            }
            var v = ServiceVolumeSpec(type: .volume, source: nil, target: Self.cleanPath(text))
            v.volume = ServiceVolumeSpec.VolumeOptions()
            return v
        }
        let source = parts[0], target = parts[1]
        guard target.hasPrefix("/") else {
            error(node, path, "target \"\(target)\" must be an absolute container path")
            return nil
        }
        let isBind = source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~")
        var v = ServiceVolumeSpec(type: isBind ? .bind : .volume, source: isBind ? resolvePath(source, from: node) : source,
                                  target: Self.cleanPath(target))
        if isBind { v.bind = ServiceVolumeSpec.BindOptions() } else { v.volume = ServiceVolumeSpec.VolumeOptions() }
        if parts.count == 3 {
            for opt in parts[2].split(separator: ",").map(String.init) {
                guard Self.volumeModes.contains(opt) else {
                    error(node, path, "\"\(opt)\" is not a volume option (valid: \(Self.volumeModes.sorted().joined(separator: ", ")))")
                    continue
                }
                switch opt {
                case "ro": v.readOnly = true
                case "rw": v.readOnly = false
                case "nocopy":
                    if isBind { error(node, path, "nocopy applies to named volumes, not bind mounts") } else { v.volume?.nocopy = true }
                case "z", "Z": if isBind { v.bind?.selinux = opt }
                case "U": v.cnc = ServiceVolumeSpec.CNCOptions(chown: true, idmap: v.cnc?.idmap)
                case "idmap": v.cnc = ServiceVolumeSpec.CNCOptions(chown: v.cnc?.chown, idmap: true)
                default:
                    if isBind { v.bind?.propagation = ServiceVolumeSpec.Propagation(rawValue: opt) } else {
                        error(node, path, "propagation \"\(opt)\" applies to bind mounts only")
                    }
                }
            }
        }
        return v
    }

    private func readLongVolume(_ node: YAMLNode, _ path: String) -> ServiceVolumeSpec? {
        guard let f = fields(node, path, allowed: ["type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency", "x-cnc"]) else { return nil }
        guard let tn = f["type"] else {
            error(node, path, "type is required (bind, volume or tmpfs)")
            return nil
        }
        guard let type = choice(tn, f.path("type"), ServiceVolumeSpec.Kind.self, what: "a mount type") else { return nil }
        guard let targetNode = f["target"], let target = string(targetNode, f.path("target"), allowEmpty: false) else {
            if f["target"] == nil { error(node, path, "target is required") }
            return nil
        }
        guard target.hasPrefix("/") else {
            error(targetNode, f.path("target"), "\"\(target)\" must be an absolute container path")
            return nil
        }
        var source = optionalString(f, "source", allowEmpty: false)
        switch type {
        case .bind:
            guard let s = source, let sn = f["source"] else {
                error(node, path, "a bind mount needs a source")
                return nil
            }
            source = resolvePath(s, from: sn)
        case .tmpfs:
            if let sn = f["source"] { error(sn, f.path("source"), "a tmpfs mount takes no source") }
            source = nil
        case .volume:
            if let s = source, s.hasPrefix("/") || s.hasPrefix(".") {
                error(f["source"]?.mark, f.path("source"), "\"\(s)\" is a path: use type: bind for host paths")
            }
        }
        var v = ServiceVolumeSpec(type: type, source: source, target: Self.cleanPath(target))
        if let b = optionalBool(f, "read_only") { v.readOnly = b }
        if type == .bind { v.bind = ServiceVolumeSpec.BindOptions() }
        if type == .volume { v.volume = ServiceVolumeSpec.VolumeOptions() }
        if let n = f["bind"] {
            if type != .bind { error(n, f.path("bind"), "bind options apply to type: bind only") }
            else if let bf = fields(n, f.path("bind"), allowed: ["propagation", "create_host_path", "selinux"]) {
                if let pn = bf["propagation"] { v.bind?.propagation = choice(pn, bf.path("propagation"), ServiceVolumeSpec.Propagation.self, what: "a propagation mode") }
                if let b = optionalBool(bf, "create_host_path") { v.bind?.createHostPath = b }
                if let sn = bf["selinux"], let s = string(sn, bf.path("selinux")) {
                    if s == "z" || s == "Z" { v.bind?.selinux = s } else { error(sn, bf.path("selinux"), "\"\(s)\" is not z or Z") }
                }
            }
        }
        if let n = f["volume"] {
            if type != .volume { error(n, f.path("volume"), "volume options apply to type: volume only") }
            else if let vf = fields(n, f.path("volume"), allowed: ["nocopy", "subpath"]) {
                if let b = optionalBool(vf, "nocopy") { v.volume?.nocopy = b }
                v.volume?.subpath = optionalString(vf, "subpath", allowEmpty: false)
            }
        }
        if let n = f["x-cnc"] {
            if type == .tmpfs { error(n, f.path("x-cnc"), "chown and idmap apply to type: bind and type: volume only") }
            else if let xf = fields(n, f.path("x-cnc"), allowed: ["chown", "idmap"]) {
                v.cnc = ServiceVolumeSpec.CNCOptions(chown: optionalBool(xf, "chown"), idmap: optionalBool(xf, "idmap"))
            }
        }
        if let n = f["tmpfs"] {
            if type != .tmpfs { error(n, f.path("tmpfs"), "tmpfs options apply to type: tmpfs only") }
            else if let tf = fields(n, f.path("tmpfs"), allowed: ["size", "mode"]) {
                var o = ServiceVolumeSpec.TmpfsOptions()
                if let sn = tf["size"], let s = size(sn, tf.path("size")) {
                    if s.bytes <= 0 { error(sn, tf.path("size"), "must be greater than 0") } else { o.size = s }
                }
                if let mn = tf["mode"] { o.mode = fileMode(mn, tf.path("mode")) }
                v.tmpfs = o
            }
        } else if type == .tmpfs {
            v.tmpfs = ServiceVolumeSpec.TmpfsOptions()
        }
        return v
    }

    func readDevices(_ node: YAMLNode, _ path: String) -> [DeviceMapping] {
        var out: [DeviceMapping] = []
        for (i, item) in sequenceItems(node, path) {
            let p = "\(path)[\(i)]"
            var d: DeviceMapping?
            if case .mapping = item.content {
                guard let f = fields(item, p, allowed: ["source", "target", "permissions"]) else { continue }
                guard let source = optionalString(f, "source", allowEmpty: false) else {
                    error(item, p, "source is required")
                    continue
                }
                d = DeviceMapping(source: source, target: optionalString(f, "target", allowEmpty: false) ?? source)
                if let perms = optionalString(f, "permissions") { d?.permissions = perms }
            } else if let text = string(item, p, allowEmpty: false) {
                let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard (1...3).contains(parts.count) else {
                    error(item, p, "\"\(text)\" is not a device (examples: /dev/fuse, /dev/sda:/dev/xvda:rwm)")
                    continue
                }
                d = DeviceMapping(source: parts[0], target: parts.count > 1 ? parts[1] : parts[0])
                if parts.count == 3 { d?.permissions = parts[2] }
            }
            guard let dev = d else { continue }
            if !dev.source.hasPrefix("/") || !dev.target.hasPrefix("/") {
                error(item, p, "device paths must be absolute (example: /dev/fuse)")
            } else if dev.permissions.isEmpty || !dev.permissions.allSatisfy({ "rwm".contains($0) }) {
                error(item, p, "\"\(dev.permissions)\" is not a device permission (any of r, w, m)")
            } else {
                out.append(dev)
            }
        }
        return out
    }
}
