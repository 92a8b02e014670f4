import CNCSystem

/// The tar names the image spec gives overlay's deletions in a layer.
public enum WhiteoutNames {
    public static let prefix = ".wh."
    /// In a directory, hides everything lower layers hold there.
    public static let opaqueMarker = ".wh..wh..opq"

    /// The whiteout of `name` (a path inside the layer): `etc/.wh.motd` for `etc/motd`.
    public static func whiteout(for name: String) -> String {
        guard let slash = name.lastIndex(of: "/") else { return prefix + name }
        return String(name[...slash]) + prefix + name[name.index(after: slash)...]
    }

    /// The opaque marker of directory `dir`: `var/cache/.wh..wh..opq`.
    public static func opaque(in dir: String) -> String { dir + "/" + opaqueMarker }
}

extension TreeArchiver {
    /// A container's overlay upper dir as an image layer (as Docker's overlay2 driver writes
    /// one): a whiteout (char 0/0) becomes an empty `.wh.NAME` (mode 0600), an opaque directory
    /// is followed by its `.wh..wh..opq`, overlay's trusted.* attributes stay behind.
    /// `skipping`: paths (with a leading "/") left out with what is below them: the runtime's
    /// mount points, which are no part of the container's changes.
    public func addUpperLayer(_ upper: String, skipping: Set<String>) throws {
        try walk(upper, "") { source, name, info in
            if skipping.contains("/" + name) { return false }
            if info.isWhiteout {
                try addMarker(WhiteoutNames.whiteout(for: name), mode: 0o600, like: source)
                return false
            }
            try add(source, as: name)
            if info.kind == .directory && FileSystem.isOpaqueDirectory(source) {
                try addMarker(WhiteoutNames.opaque(in: name), mode: info.permissions & 0o777, like: source)
            }
            return true
        }
    }
}
