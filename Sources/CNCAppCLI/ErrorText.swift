/// The one way cnc and cncapply print an error: `Error: <message>`. A message that carries
/// another tool's error (cncapply runs `cnc pull`) loses that tool's prefix, so no error reads
/// `Error: failed to pull x: Error: ...`.
public enum ErrorText {
    static let prefix = "Error: "

    /// `message` as one stderr line (or block) with the single prefix.
    public static func line(_ message: String) -> String { prefix + strippingPrefix(message) + "\n" }

    /// `text` without a leading `Error: ` (or a tool's `cnc: `/`cncapply: `) on any of its lines.
    public static func strippingPrefix(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            var l = Substring(line)
            for p in [prefix, "cnc: ", "cncapply: "] where l.hasPrefix(p) { l = l.dropFirst(p.count) }
            return l
        }.joined(separator: "\n")
    }
}
