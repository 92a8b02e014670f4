import ArgumentParser
import Foundation

/// Docker's CLI (cobra/pflag) takes every boolean flag both bare (`--rm`, `-i`) and with a
/// value (`--rm=false`, `-i=true`, `--sig-proxy=0`); ArgumentParser's flags take no value.
/// Before parsing, the value forms become what ArgumentParser reads: `--X=true` is `--X`,
/// `--X=false` is `--no-X` where the flag has that inversion, and otherwise no flag at all
/// (the flag's default, false). The last spelling of a flag wins, as with pflag
/// (`-it --tty=false` is `-i`).
///
/// Which names are flags is read from ArgumentParser's own description of the command the
/// arguments name (so every command and every new flag is covered), and only when an argument
/// has the `-X=value` form with one of pflag's boolean words: other command lines are left as
/// they are, at no cost. A command that takes its workload's argv (`run IMAGE CMD...`,
/// `exec CONTAINER CMD...`) is read up to its first positional argument only: nothing after
/// the image or container is ever taken for a cnc flag. Nothing after `--` is touched.
public enum BoolFlagValues {
    /// strconv.ParseBool's words (pflag's bool flags).
    static let words: [String: Bool] = [
        "1": true, "t": true, "T": true, "true": true, "TRUE": true, "True": true,
        "0": false, "f": false, "F": false, "false": false, "FALSE": false, "False": false,
    ]

    /// `args` with the value forms of `root`'s boolean flags rewritten (the subcommand words first).
    public static func rewrite(_ args: [String], root: any ParsableCommand.Type) -> [String] {
        guard args.contains(where: isCandidate) else { return args }
        var command: any ParsableCommand.Type = root
        var start = 0
        while start < args.count, let sub = command.configuration.subcommands.first(where: {
            $0._commandName == args[start] || $0.configuration.aliases.contains(args[start])
        }) {
            command = sub
            start += 1
        }
        if let fallback = command.configuration.defaultSubcommand { command = fallback }
        guard let shape = try? Shape(command) else { return args }
        return Array(args[..<start]) + shape.rewrite(Array(args[start...]))
    }

    /// `-X=word` or `--NAME=word` with a pflag boolean word.
    static func isCandidate(_ arg: String) -> Bool {
        guard arg.hasPrefix("-"), let eq = arg.firstIndex(of: "=") else { return false }
        return words[String(arg[arg.index(after: eq)...])] != nil
    }

    /// What rewriting needs to know of one command's arguments.
    struct Shape {
        /// Long names of flags, and of options (which take a value).
        var flags: Set<String> = []
        var options: Set<String> = []
        /// Short letters and the long name they stand for (or the letter itself when it has none).
        var shortFlags: [Character: String] = [:]
        var shortOptions: Set<Character> = []
        /// The command takes its workload's argv at its first positional argument.
        var stopsAtPositional = false

        private struct Dump: Decodable {
            struct Command: Decodable { var arguments: [Argument]? }
            struct Argument: Decodable {
                struct Name: Decodable { var kind: String; var name: String }
                var kind: String
                var names: [Name]?
                var parsingStrategy: String
            }
            var command: Command
        }

        init(_ command: any ParsableCommand.Type) throws {
            let dump = try JSONDecoder().decode(Dump.self, from: Data(command._dumpHelp().utf8))
            for a in dump.command.arguments ?? [] {
                let names = a.names ?? []
                let long = names.first { $0.kind == "long" }?.name
                switch a.kind {
                case "flag":
                    for n in names where n.kind == "long" { flags.insert(n.name) }
                    for n in names where n.kind == "short" { if let c = n.name.first { shortFlags[c] = long ?? n.name } }
                case "option":
                    for n in names where n.kind == "long" { options.insert(n.name) }
                    for n in names where n.kind == "short" { if let c = n.name.first { shortOptions.insert(c) } }
                default:
                    if ["allRemainingInput", "postTerminator", "allUnrecognized"].contains(a.parsingStrategy) { stopsAtPositional = true }
                }
            }
        }

        /// One flag's spelling on the line: which flag (its long name) and the value it sets.
        private struct Setting { var flag: String; var value: Bool }

        /// Each argument split into what is kept as it is and the flag settings it makes.
        func rewrite(_ args: [String]) -> [String] {
            var pieces: [(keep: String?, settings: [Setting])] = []
            var rewritten: Set<String> = []
            var i = 0
            scan: while i < args.count {
                let a = args[i]
                i += 1
                if a == "--" { pieces.append((a, [])); break scan }
                if a.hasPrefix("--") {
                    let body = a.dropFirst(2)
                    let eq = body.firstIndex(of: "=")
                    let name = String(body[..<(eq ?? body.endIndex)])
                    if flags.contains(name) {
                        let (flag, positive) = canonical(name)
                        if let eq {
                            guard let v = words[String(body[body.index(after: eq)...])] else { pieces.append((a, [])); continue }
                            rewritten.insert(flag)
                            pieces.append((nil, [Setting(flag: flag, value: v == positive)]))
                        } else {
                            pieces.append((nil, [Setting(flag: flag, value: positive)]))
                        }
                    } else {
                        pieces.append((a, []))
                        if eq == nil, options.contains(name), i < args.count { pieces.append((args[i], [])); i += 1 }
                    }
                } else if a.hasPrefix("-") && a.count > 1 {
                    // A group of letters (`-dit`), `-i=false`, or an option letter with its value.
                    let letters = Array(a.dropFirst())
                    var kept = "-"
                    var settings: [Setting] = []
                    var n = 0
                    var takesNext = false
                    group: while n < letters.count {
                        let c = letters[n]
                        if let flag = shortFlags[c] {
                            if n + 1 < letters.count, letters[n + 1] == "=" {
                                guard let v = words[String(letters[(n + 2)...])] else { kept += String(letters[n...]); break group }
                                rewritten.insert(flag)
                                settings.append(Setting(flag: flag, value: v))
                                break group
                            }
                            settings.append(Setting(flag: flag, value: true))
                            n += 1
                        } else {
                            // An option letter (its value follows, here or next) or an unknown one:
                            // the rest is left for ArgumentParser.
                            kept += String(letters[n...])
                            takesNext = shortOptions.contains(c) && n == letters.count - 1
                            break group
                        }
                    }
                    pieces.append((kept == "-" ? nil : kept, settings))
                    if takesNext, i < args.count { pieces.append((args[i], [])); i += 1 }
                } else {
                    pieces.append((a, []))
                    if stopsAtPositional { break scan }
                }
            }
            guard !rewritten.isEmpty else { return args }
            // Flags that were given a value are written once, where they were last given, with
            // their last value; the others stay as they were spelled.
            var last: [String: (at: Int, value: Bool)] = [:]
            for (at, p) in pieces.enumerated() { for s in p.settings where rewritten.contains(s.flag) { last[s.flag] = (at, s.value) } }
            var out: [String] = []
            for (at, p) in pieces.enumerated() {
                out += flagsText(p.settings, at: at, last: last)
                if let keep = p.keep { out.append(keep) }
            }
            return out + args[i...]
        }

        /// The arguments that make `settings` (piece `at`), leaving out what a later spelling overrides.
        private func flagsText(_ settings: [Setting], at: Int, last: [String: (at: Int, value: Bool)]) -> [String] {
            var out: [String] = []
            for s in settings {
                if let l = last[s.flag] {
                    guard l.at == at else { continue }
                    if l.value {
                        out.append(spelled(s.flag))
                    } else if flags.contains("no-" + s.flag) {
                        out.append("--no-" + s.flag)
                    }
                } else {
                    out.append(s.value ? spelled(s.flag) : "--no-" + s.flag)
                }
            }
            // A flag set twice in one group (`-ii=false`) is written once.
            var seen: Set<String> = []
            return out.filter { seen.insert($0).inserted }
        }

        /// `--NAME`, or `-L` for a flag that has only a letter.
        private func spelled(_ flag: String) -> String { (flag.count == 1 ? "-" : "--") + flag }

        /// The flag a spelling sets and the value the bare spelling means: `--no-sig-proxy` is
        /// sig-proxy's inversion (false), `--no-healthcheck` a flag of its own.
        private func canonical(_ name: String) -> (String, Bool) {
            if name.hasPrefix("no-"), flags.contains(String(name.dropFirst(3))) { return (String(name.dropFirst(3)), false) }
            return (name, true)
        }
    }
}
