/// A transport protocol of a port: the spec's `ports` and `expose`, `-p`, the firewall's maps.
public enum PortProtocol: String, Codable, Hashable, Sendable, CaseIterable {
    case tcp, udp, sctp

    /// What the bridge driver can publish (its DNAT maps); sctp is accepted in specs only.
    public static let publishable: [PortProtocol] = [.tcp, .udp]
}

/// One host port forwarded to one container port (ranges are expanded into several).
public struct PublishedPort: Codable, Sendable, Hashable, CustomStringConvertible {
    /// nil: every host address (0.0.0.0).
    public var hostIP: IPv4Address?
    /// 0 until a free port is chosen for "-p 80" / "-P".
    public var hostPort: UInt16
    public var containerPort: UInt16
    public var proto: PortProtocol

    public init(hostIP: IPv4Address? = nil, hostPort: UInt16, containerPort: UInt16, proto: PortProtocol = .tcp) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    enum CodingKeys: String, CodingKey { case hostIP, hostPort, containerPort, proto }

    /// Also reads the `-p` text containers created before ports were typed stored
    /// ("127.0.0.1:8080:80/tcp"), one mapping per entry.
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            let ports = try Self.parse(text)
            guard ports.count == 1, let p = ports.first else {
                throw CNCError(.integrity, "stored port mapping \"\(text)\" names \(ports.count) ports; recreate the container")
            }
            self = p
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hostIP = try c.decodeIfPresent(IPv4Address.self, forKey: .hostIP)
        hostPort = try c.decode(UInt16.self, forKey: .hostPort)
        containerPort = try c.decode(UInt16.self, forKey: .containerPort)
        proto = try c.decode(PortProtocol.self, forKey: .proto)
    }

    public var description: String {
        "\(hostIP?.description ?? "0.0.0.0"):\(hostPort)->\(containerPort)/\(proto.rawValue)"
    }

    /// True when both would claim the same host port: same protocol and port, and the same
    /// address or either on every address.
    public func conflicts(with o: PublishedPort) -> Bool {
        proto == o.proto && hostPort == o.hostPort && hostPort != 0
            && (hostIP == nil || o.hostIP == nil || hostIP == o.hostIP)
    }

    /// Parses Docker's `-p` syntax: [[HOST_IP:]HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO].
    /// "80" and "127.0.0.1::80" leave the host port to be chosen (0).
    /// Throws what `parse` throws for an invalid `-p` value (a check for RunFlags.makeConfig).
    public static func check(_ text: String) throws { _ = try parse(text) }

    public static func parse(_ text: String) throws -> [PublishedPort] {
        func bad(_ why: String) -> CNCError {
            CNCError(.invalidArgument, "invalid port mapping \"\(text)\": \(why); want [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/tcp|udp], ranges as 8080-8081:80-81")
        }
        var body = Substring(text)
        var proto = PortProtocol.tcp
        if let slash = body.lastIndex(of: "/") {
            let name = body[body.index(after: slash)...].lowercased()
            guard let p = PortProtocol(rawValue: name) else { throw bad("unknown protocol") }
            guard PortProtocol.publishable.contains(p) else {
                throw CNCError(.unsupported, "invalid port mapping \"\(text)\": not supported yet: publishing \(name) ports")
            }
            proto = p
            body = body[..<slash]
        }
        if body.hasPrefix("[") {
            throw CNCError(.unsupported, "invalid port mapping \"\(text)\": not supported yet: IPv6 host addresses (name an IPv4 address, or none for 0.0.0.0)")
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var hostIP: IPv4Address?
        var hostPart = "", containerPart = ""
        switch parts.count {
        case 1: containerPart = parts[0]
        case 2: hostPart = parts[0]; containerPart = parts[1]
        case 3:
            if !parts[0].isEmpty && parts[0] != "0.0.0.0" {
                guard let ip = IPv4Address(parts[0]) else { throw bad("host IP \"\(parts[0])\" is not an IPv4 address") }
                hostIP = ip
            }
            hostPart = parts[1]; containerPart = parts[2]
        default: throw bad("too many colons")
        }
        let containerRange = try range(containerPart, bad)
        var hostRange: ClosedRange<UInt16>? = nil
        if !hostPart.isEmpty { hostRange = try range(hostPart, bad) }
        if let hostRange, hostRange.count != containerRange.count {
            if hostRange.count < containerRange.count || containerRange.count != 1 {
                throw bad("host range and container range differ in size")
            }
            // "8000-8010:80": Docker picks one free port of the host range; we take the first.
            return [PublishedPort(hostIP: hostIP, hostPort: hostRange.lowerBound, containerPort: containerRange.lowerBound, proto: proto)]
        }
        return containerRange.enumerated().map { i, c in
            let h = hostRange.map { $0.lowerBound + UInt16(i) } ?? 0
            return PublishedPort(hostIP: hostIP, hostPort: h, containerPort: c, proto: proto)
        }
    }

    private static func range(_ s: String, _ bad: (String) -> CNCError) throws -> ClosedRange<UInt16> {
        let ends = s.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count <= 2, let lo = UInt16(ends[0]), lo > 0 else { throw bad("\"\(s)\" is not a port (1-65535)") }
        guard ends.count == 2 else { return lo...lo }
        guard let hi = UInt16(ends[1]), hi >= lo else { throw bad("\"\(s)\" is not a port range") }
        return lo...hi
    }

    /// `-P`: every exposed port ("80", "53/udp") published on a host port to be chosen.
    public static func publishAll(exposed: [String]) throws -> [PublishedPort] {
        try exposed.flatMap { try parse($0) }.map { var p = $0; p.hostPort = 0; return p }
    }
}
