import CNCCore

/// The typed object an action needs to run, as Compose's plan nodes carry theirs: the desired
/// service (with its compiled spec), network or volume. No side table keyed by hash or name.
///
/// In JSON only the reference (kind, name, config hash) is written: stable, byte-deterministic,
/// and enough to check a saved plan against a recompiled spec. A decoded plan holds
/// `.reference`s until `Plan.attaching(_:)` puts the objects back.
public enum ActionTarget: Sendable, Equatable {
    case service(DesiredService)
    case network(DesiredNetwork)
    case volume(DesiredVolume)
    case reference(Reference)

    public struct Reference: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable { case service, network, volume }
        public var kind: Kind
        public var name: String
        public var configHash: String

        public init(kind: Kind, name: String, configHash: String) {
            self.kind = kind
            self.name = name
            self.configHash = configHash
        }
    }

    public var reference: Reference {
        switch self {
        case .service(let s): Reference(kind: .service, name: s.name, configHash: s.configHash)
        case .network(let n): Reference(kind: .network, name: n.name, configHash: n.configHash)
        case .volume(let v): Reference(kind: .volume, name: v.name, configHash: v.configHash)
        case .reference(let r): r
        }
    }

    public var service: DesiredService? { if case .service(let s) = self { s } else { nil } }
    public var network: DesiredNetwork? { if case .network(let n) = self { n } else { nil } }
    public var volume: DesiredVolume? { if case .volume(let v) = self { v } else { nil } }

    /// The object `reference` names in `desired`, or an error saying why it is not there.
    static func resolve(_ r: Reference, in desired: DesiredApp) throws -> ActionTarget {
        let found: ActionTarget? = switch r.kind {
        case .service: desired.services.first { $0.name == r.name }.map(ActionTarget.service)
        case .network: desired.networks.first { $0.name == r.name }.map(ActionTarget.network)
        case .volume: desired.volumes.first { $0.name == r.name }.map(ActionTarget.volume)
        }
        guard let found else {
            throw CNCError(.conflict, "the saved plan names \(r.kind.rawValue) \(r.name), which the spec no longer has")
        }
        guard found.reference.configHash == r.configHash else {
            throw CNCError(.conflict, "the saved plan was made for \(r.kind.rawValue) \(r.name) at config \(r.configHash.prefix(12)); the spec now gives \(found.reference.configHash.prefix(12))")
        }
        return found
    }
}

extension ActionTarget: Codable {
    public init(from decoder: any Decoder) throws {
        self = .reference(try Reference(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try reference.encode(to: encoder)
    }
}
