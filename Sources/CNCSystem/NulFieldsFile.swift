/// A small cache file of NUL-terminated text fields (ImageDefaultsCache, BuildReplayTicket):
/// read with one read and one split, no decoder. Written whole (a temp file renamed over it,
/// mode 0600, its directory made 0700); a field holding a NUL cannot be written.
public enum NulFieldsFile {
    /// The fields of `path`, nil when it is missing or does not end with a field's NUL.
    public static func read(_ path: String) -> [String]? {
        guard let bytes = try? FileSystem.readBytes(path), bytes.last == 0 else { return nil }
        return bytes.dropLast().split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes `fields` to `path`; false (nothing written) when a field holds a NUL or the write fails.
    @discardableResult
    public static func write(_ fields: [String], to path: String) -> Bool {
        guard !fields.contains(where: { $0.utf8.contains(0) }) else { return false }
        var bytes: [UInt8] = []
        for f in fields { bytes += Array(f.utf8); bytes.append(0) }
        try? FileSystem.createDirectory(FileSystem.directoryName(path), mode: 0o700)
        return (try? FileSystem.writeReplacing(bytes, to: path, mode: 0o600)) != nil
    }
}
