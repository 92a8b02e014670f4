/// A container's network: none, the host's, another container's namespace, a named bridge
/// network (`bridge` is the default one), or, in specs only, another service's
/// (`network_mode: service:NAME`, which cncapply turns into that service's container).
/// One type for `--network`, Compose's `network_mode`, the runtime and inspect.
public enum NetworkMode: Codable, Hashable, Sendable, CustomStringConvertible {
    case none
    case host
    case container(String)
    case bridge(String)
    case service(String)

    /// The default bridge network's name (Compose's `network_mode: bridge`/`default` too).
    public static let defaultBridge = NetworkMode.bridge("bridge")

    public init(parsing text: String) throws {
        switch text {
        case "none": self = .none
        case "host": self = .host
        default:
            if text.hasPrefix("container:"), text.count > 10 { self = .container(String(text.dropFirst(10))) }
            else if text.hasPrefix("service:"), text.count > 8 { self = .service(String(text.dropFirst(8))) }
            else if !text.isEmpty, !text.contains(":") { self = .bridge(text) }
            else { throw CNCError(.invalidArgument, "invalid network \"\(text)\"") }
        }
    }

    /// Compose's `network_mode`: none, host, bridge (or default), container:NAME, service:NAME.
    public init?(composeNetworkMode text: String) {
        switch text {
        case "bridge", "default": self = .defaultBridge
        case "none", "host": self = text == "none" ? .none : .host
        default:
            guard text.hasPrefix("container:") || text.hasPrefix("service:"), let m = try? NetworkMode(parsing: text) else { return nil }
            self = m
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .host: "host"
        case .container(let c): "container:\(c)"
        case .bridge(let n): n
        case .service(let s): "service:\(s)"
        }
    }

    public init(from decoder: any Decoder) throws { try self.init(parsing: try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
