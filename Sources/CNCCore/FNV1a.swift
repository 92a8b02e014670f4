/// FNV-1a, 64 bits: short stable names for files keyed by a string (cache entries, per-root
/// directories). Not a security boundary: never use it where collisions could be forced.
public enum FNV1a {
    public static func hash64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return hash
    }

    /// The hash as lowercase hex (no leading zeros), for a file name.
    public static func name(_ text: String) -> String { String(hash64(text), radix: 16) }
}
