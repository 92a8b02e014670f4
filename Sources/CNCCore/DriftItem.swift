/// One way the host differs from what the app's last applied revision left: a container
/// changed, stopped or removed by hand, an image tag moved, a spec file edited.
public struct DriftItem: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A container's config or live limits differ from the revision's (`cnc update`, re-created by hand).
        case changed
        /// A container the revision runs is not running.
        case stopped
        /// A replica (or a network/volume) the revision made is gone.
        case removed
        /// A tag the revision resolved now points to another image (or to none).
        case imageRetagged = "image-retagged"
        /// A file the revision was applied from (spec, include, .env, env file) changed or is gone.
        case specEdited = "spec-edited"
    }

    public var kind: Kind
    /// The service concerned (nil for networks, volumes and files).
    public var service: String?
    /// The container, network, volume, image reference or file path that drifted.
    public var subject: String
    /// What drifted, in words: `memory`, `environment.V`, `container missing`.
    public var what: String
    /// What the revision has, and what is there now (nil when there is nothing to show).
    public var expected: String?
    public var found: String?

    public init(kind: Kind, service: String? = nil, subject: String, what: String, expected: String? = nil, found: String? = nil) {
        self.kind = kind
        self.service = service
        self.subject = subject
        self.what = what
        self.expected = expected
        self.found = found
    }

    /// `shop-web-1: changed — memory: expected 64MiB, found 128MiB`
    public var line: String {
        var s = "\(subject): \(kind.rawValue) — \(what)"
        if let expected, let found { s += ": expected \(expected), found \(found)" }
        return s
    }
}
