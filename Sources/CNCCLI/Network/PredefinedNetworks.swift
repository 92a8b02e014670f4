import CNCCore
import CNCNetwork

/// Docker's predefined networks as cnc shows them. `bridge` is cnc's default network, stored as
/// `cnc` in a state root (so roots made before keep working, and `cnc` still finds it); `host`
/// and `none` are the modes `--network host|none` select: listed and inspectable as docker's,
/// never created or removed. Unlike docker's `bridge`, the default network can be removed (it
/// is made again on first use): a temp root's cleanup takes its kernel bridge along.
enum PredefinedNetworks {
    struct Pseudo {
        let name: String
        let driver: String
        /// Fixed: sha256 of "cnc predefined network NAME" (docker's are random per daemon).
        let id: String
    }

    static let pseudo = [
        Pseudo(name: "host", driver: "host", id: "e6819cad8fe8f23b9b62483ed6dc826f01b5968746cfca0a2ce7e3624327d154"),
        Pseudo(name: "none", driver: "null", id: "0fdee6bf1bfad07f8fe39be832a3ef0dcc9900eec30a8aa604db25af96d9172a"),
    ]

    /// The name a network goes by in output: docker's `bridge` for the default network.
    static func shownName(_ name: String) -> String { name == NetworkManager.defaultNetworkName ? "bridge" : name }

    /// Docker's builtin networks as shown: bridge, host, none (`network ls --filter type=builtin`).
    static func isPredefined(_ shown: String) -> Bool { shown == "bridge" || pseudo.contains { $0.name == shown } }

    /// `host` or `none` by name or ID prefix (3 characters at least, as for other networks).
    static func pseudo(_ ref: String) -> Pseudo? {
        pseudo.first { $0.name == ref || (ref.count >= 3 && $0.id.hasPrefix(ref)) }
    }

    /// docker's refusal, for `network rm host|none`.
    static func removalRefused(_ p: Pseudo) -> CNCError {
        CNCError(.conflict, "\(p.name) is a pre-defined network and cannot be removed")
    }

    /// `network inspect host|none`: docker's shape, no subnet, no endpoints recorded.
    static func document(_ p: Pseudo) -> JSONValue {
        .object([
            "Name": .string(p.name), "Id": .string(p.id), "Created": .string("0001-01-01T00:00:00Z"),
            "Scope": .string("local"), "Driver": .string(p.driver), "EnableIPv4": .bool(true), "EnableIPv6": .bool(false),
            "IPAM": .object(["Driver": .string("default"), "Options": .null, "Config": .null]),
            "Internal": .bool(false), "Attachable": .bool(false), "Ingress": .bool(false),
            "ConfigFrom": .object(["Network": .string("")]), "ConfigOnly": .bool(false),
            "Containers": .object([:]), "Options": .object([:]), "Labels": .object([:]),
        ])
    }

    /// The options docker's default bridge shows in `network inspect bridge`.
    static func defaultBridgeOptions(bridge: String?) -> [String: JSONValue] {
        var o: [String: JSONValue] = [
            "com.docker.network.bridge.default_bridge": .string("true"),
            "com.docker.network.bridge.enable_icc": .string("true"),
            "com.docker.network.bridge.enable_ip_masquerade": .string("true"),
            "com.docker.network.bridge.host_binding_ipv4": .string("0.0.0.0"),
        ]
        if let bridge { o["com.docker.network.bridge.name"] = .string(bridge) }
        return o
    }
}
