import CNCCore
import CNCImage
import CNCNetwork
import CNCRuntime
import CNCSystem

/// The PORTS column of `cnc ps` (and `{{.Ports}}`), rendered as docker's DisplayablePorts does:
/// ports sorted by container port, host IP, host port and protocol; runs of ports published on
/// the same port number grouped into ranges (`0.0.0.0:8000-8001->8000-8001/tcp`), exposed-only
/// ones as `80/tcp` (ranges too); mappings to another host port listed after the groups.
enum PortsText {
    struct Port: Equatable {
        var ip: String
        var publicPort: UInt16
        var privatePort: UInt16
        var proto: String
    }

    /// Published ports (a nil host IP is every address, `0.0.0.0`) plus the image's exposed ports
    /// (`80/tcp`, `53/udp`, `8080`) that are not published.
    static func ports(published: [PublishedPort], exposed: [String]) -> [Port] {
        var out = published.map { Port(ip: $0.hostIP?.description ?? "0.0.0.0", publicPort: $0.hostPort, privatePort: $0.containerPort, proto: $0.proto.rawValue) }
        for e in exposed {
            let parts = e.split(separator: "/")
            guard let first = parts.first, let port = UInt16(first) else { continue }
            let proto = parts.count > 1 ? String(parts[1]) : "tcp"
            if !out.contains(where: { $0.privatePort == port && $0.proto == proto }) {
                out.append(Port(ip: "", publicPort: 0, privatePort: port, proto: proto))
            }
        }
        return out
    }

    /// The ports container `c` publishes with their host ports: its bridge attachments' (a
    /// rootless user network's too), or rootless on the default network, what its pasta
    /// forwards (recorded with the ports cnc chose for `-p 80`).
    static func published(_ c: Container, network: NetworkManager) -> [PublishedPort] {
        published(c, attachments: network.attachments(of: c.config.id))
    }

    static func published(_ c: Container, attachments: [Attachment]) -> [PublishedPort] {
        attachments.isEmpty && Rootless.isActive ? PublishedPortsRecord.read(directory: c.directory) ?? [] : attachments.flatMap(\.ports)
    }

    static func display(_ ports: [Port]) -> String {
        let sorted = ports.sorted {
            if $0.privatePort != $1.privatePort { return $0.privatePort < $1.privatePort }
            if $0.ip != $1.ip { return $0.ip < $1.ip }
            if $0.publicPort != $1.publicPort { return $0.publicPort < $1.publicPort }
            return $0.proto < $1.proto
        }
        var groups: [String: (first: UInt16, last: UInt16)] = [:]
        var order: [String] = []
        var result: [String] = []
        var hostMappings: [String] = []
        for p in sorted {
            var key = p.proto
            if !p.ip.isEmpty {
                if p.publicPort != p.privatePort {
                    hostMappings.append("\(p.ip):\(p.publicPort)->\(p.privatePort)/\(p.proto)")
                    continue
                }
                key = p.ip + "/" + p.proto
            }
            guard let g = groups[key] else {
                groups[key] = (p.privatePort, p.privatePort)
                order.append(key)
                continue
            }
            if p.privatePort == g.last &+ 1 { groups[key] = (g.first, p.privatePort); continue }
            result.append(group(key, g.first, g.last))
            groups[key] = (p.privatePort, p.privatePort)
        }
        for key in order { if let g = groups[key] { result.append(group(key, g.first, g.last)) } }
        return (result + hostMappings).joined(separator: ", ")
    }

    static func group(_ key: String, _ first: UInt16, _ last: UInt16) -> String {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        let ip = parts.count > 1 ? parts[0] : ""
        let proto = parts.count > 1 ? parts[1] : parts[0]
        var g = first == last ? String(first) : "\(first)-\(last)"
        if !ip.isEmpty { g = "\(ip):\(g)->\(g)" }
        return g + "/" + proto
    }
}

/// The ports of listed containers: a running container on a bridge network shows what its
/// attachment published and what its image EXPOSEs (as docker's do; host, none and
/// container: modes and stopped containers show none). Images are read once each.
final class PortLookup {
    let network: NetworkManager
    let images: () throws -> ImageStore
    var store: ImageStore?
    var exposed: [String: [String]] = [:]

    init(root: String, images: @escaping () throws -> ImageStore) {
        network = NetworkManager(root: root)
        self.images = images
    }

    func text(for c: Container) -> String {
        guard c.state.status == .running || c.state.status == .paused, case .bridge = c.config.network else { return "" }
        let published = PortsText.published(c, network: network)
        return PortsText.display(PortsText.ports(published: published, exposed: exposedPorts(of: c.config.imageID ?? c.config.image)))
    }

    func exposedPorts(of image: String) -> [String] {
        if let known = exposed[image] { return known }
        if store == nil { store = try? images() }
        let ports = ((try? store?.resolve(image))?.config.config?.exposedPorts ?? [:]).keys.sorted()
        exposed[image] = ports
        return ports
    }
}
