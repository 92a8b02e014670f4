import CNCCore
@_exported import struct CNCMonitorCore.EscapeMatcher

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
