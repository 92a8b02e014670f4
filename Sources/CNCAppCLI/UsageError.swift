/// ArgumentParser's usage messages in the words docker's CLI (cobra/pflag) uses for the same
/// mistakes, so scripts and people who know docker read cnc's alike.
public enum UsageError {
    /// `message`: ArgumentParser's (`Unknown option '--foo'. Did you mean '--root'?`).
    /// `command`: the command's words (`cnc run`), for the messages that name it.
    public static func dockerMessage(_ message: String, command: String) -> String {
        let text = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
        if let name = quoted(after: "Unknown option ", in: text) {
            // pflag: "unknown flag: --foo", "unknown shorthand flag: 'z' in -z".
            return name.hasPrefix("--") ? "unknown flag: \(name)" : "unknown shorthand flag: '\(name.dropFirst())' in \(name)"
        }
        if let spec = quoted(after: "Missing value for ", in: text) {
            let name = flagName(spec)
            return name.hasPrefix("--") ? "flag needs an argument: \(name)" : "flag needs an argument: '\(name.dropFirst())' in \(name)"
        }
        if let value = quoted(after: "The value ", in: text), let forPart = text.range(of: " is invalid for ") {
            let rest = text[forPart.upperBound...]
            let spec = quoted(after: "", in: String(rest)) ?? String(rest)
            var out = "invalid argument \"\(value)\" for \"\(flagName(spec))\" flag"
            if let reason = rest.range(of: "': ") ?? rest.range(of: "'. ") { out += ": " + rest[reason.upperBound...] }
            return out
        }
        if let name = quoted(after: "The option ", in: text), let valuePart = text.range(of: " does not take any value, but '") {
            // A boolean flag given a word that is no bool (`--rm=yes`): pflag's strconv.ParseBool.
            let value = text[valuePart.upperBound...].prefix { $0 != "'" }
            return "invalid argument \"\(value)\" for \"\(name)\" flag: strconv.ParseBool: parsing \"\(value)\": invalid syntax"
        }
        if quoted(after: "Missing expected argument ", in: text) != nil {
            // `exec` needs CONTAINER and COMMAND (cli.RequiresMinArgs(2)).
            let least = command.hasSuffix(" exec") ? "2 arguments" : "1 argument"
            return "\"\(command)\" requires at least \(least)."
        }
        return text
    }

    /// Docker's exit status for a usage error: 125 for its flags (cobra's FlagErrorFunc), 1 for
    /// a missing argument (cli.RequiresMinArgs).
    public static func exitStatus(_ message: String) -> Int32 {
        message.contains("Missing expected argument ") ? 1 : 125
    }

    /// The text between the quotes that follow `prefix` at the start of `text`.
    static func quoted(after prefix: String, in text: String) -> String? {
        guard text.hasPrefix(prefix + "'") else { return nil }
        let rest = text.dropFirst(prefix.count + 1)
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }

    /// `--format <format>` -> `--format`; `-n, --tail <n>` -> `--tail`.
    static func flagName(_ spec: String) -> String {
        let words = spec.split(separator: " ").map { $0.trimmingCharacters(in: [","]) }
        return words.last(where: { $0.hasPrefix("--") }) ?? words.first ?? spec
    }
}
