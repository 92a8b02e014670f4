import CNCCore

/// `--detach-keys`: Docker's syntax (moby/term's ToBytes): comma-separated keys, each a single
/// character, `ctrl-@`, `ctrl-a`...`ctrl-z`, `ctrl-[`, `ctrl-\`, `ctrl-]`, `ctrl-^`, `ctrl-_`,
/// or `DEL`.
public enum DetachKeys {
    /// ctrl-p, ctrl-q.
    public static let defaultSequence: [UInt8] = [16, 17]

    static let controlNames: [String] = ["ctrl-@"] + (UInt8(ascii: "a")...UInt8(ascii: "z")).map { "ctrl-" + String(UnicodeScalar($0)) }
        + ["ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"]

    /// The bytes of `keys`; Docker's error for anything else.
    public static func parse(_ keys: String) throws -> [UInt8] {
        var out: [UInt8] = []
        for key in keys.split(separator: ",", omittingEmptySubsequences: false) {
            let utf8 = Array(key.utf8)
            if utf8.count == 1 {
                out.append(utf8[0])
            } else if let code = controlNames.firstIndex(of: String(key)) {
                out.append(UInt8(code))
            } else if key == "DEL" {
                out.append(127)
            } else {
                throw CNCError(.invalidArgument, "Invalid detach keys (\(keys)) provided")
            }
        }
        return out
    }
}

/// Watches typed input for the detach sequence as Docker's escape proxy does: only reads of a
/// single byte (keystrokes) can match; a partial match that breaks off is passed on with the
/// byte that broke it.
public struct EscapeMatcher: Sendable {
    let keys: [UInt8]
    var position = 0

    public init(keys: [UInt8]) { self.keys = keys }

    /// What to forward of `chunk` (one read), or nil when it completed the sequence: detach.
    public mutating func feed(_ chunk: [UInt8]) -> [UInt8]? {
        guard !keys.isEmpty else { return chunk }
        if chunk.count != 1 || chunk[0] != keys[position] {
            let out = Array(keys[0..<position]) + chunk
            position = 0
            return out
        }
        if position == keys.count - 1 { return nil }
        position += 1
        return []
    }
}
