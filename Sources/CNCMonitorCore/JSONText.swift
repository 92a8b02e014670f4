/// JSON text the monitor writes by hand (state.json, log lines): no Foundation in a process
/// that stays resident per container.
public enum JSONText {
    /// `s` as a JSON string literal: quotes, backslashes and control characters escaped
    /// (\n, \r, \t by name, the rest as \u00XX); everything else, non-ASCII included, as is.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
