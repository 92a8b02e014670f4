/// Watches typed input for the detach sequence as Docker's escape proxy (moby/term) does: only
/// reads of a single byte (keystrokes) can match; a partial match that breaks off is passed on
/// with the byte that broke it. `cnc attach` and the monitor of a `run -it` use it.
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
