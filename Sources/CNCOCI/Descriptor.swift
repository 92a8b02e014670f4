import CNCCore

/// A content descriptor: what a blob is, how big, and its digest.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: Platform?
    public var artifactType: String?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil, platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

/// The platform an image runs on, as an index entry states it.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// Parses `linux/amd64`, `linux/arm64/v8`, `amd64`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/").map(String.init)
        switch parts.count {
        case 1: self.init(architecture: Self.normalizeArch(parts[0]), os: "linux")
        case 2: self.init(architecture: Self.normalizeArch(parts[1]), os: parts[0])
        case 3: self.init(architecture: Self.normalizeArch(parts[1]), os: parts[0], variant: parts[2])
        default:
            throw CNCError(.invalidArgument, "invalid platform \"\(text)\": want os/arch[/variant], e.g. linux/amd64")
        }
    }

    /// The platform of this machine (`uname -m` as Go names architectures).
    public static func host(machine: String) -> Platform {
        Platform(architecture: normalizeArch(machine), os: "linux")
    }

    public static func normalizeArch(_ a: String) -> String {
        switch a {
        case "x86_64", "x86-64": "amd64"
        case "aarch64": "arm64"
        case "i386", "i686": "386"
        case "armv7l": "arm"
        default: a
        }
    }

    /// True when an index entry with platform `self` can serve a request for `wanted`.
    public func matches(_ wanted: Platform) -> Bool {
        guard os == wanted.os, architecture == wanted.architecture else { return false }
        if let v = wanted.variant { return variant == nil || variant == v || (v == "v8" && variant == nil) }
        return true
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }
}
