import ArgumentParser
import CNCAppCLI
import CNCCore
import CNCSystem

/// Docker's boolean options take `--name=false` (pflag); ArgumentParser's flags do not take a
/// value. Before parsing, `--sig-proxy=false` becomes `--no-sig-proxy`, `--pause=true`
/// `--pause` (and `-p=false` of commit `--no-pause`), for the commands that have them.
public enum BoolOptionSyntax {
    /// Per verb: the boolean options (long name, and the short one if any) to rewrite.
    static let options: [String: [(long: String, short: String?)]] = [
        "attach": [("sig-proxy", nil)],
        "commit": [("pause", "p")],
    ]

    public static func rewrite(_ args: [String]) -> [String] {
        // `cnc attach ...` or `cnc container attach ...`; global options are moved after the
        // verb before this runs.
        let verbAt = args.first == "container" ? 1 : 0
        guard args.count > verbAt, let flags = options[args[verbAt]] else { return args }
        var out = Array(args[...verbAt])
        var rest = args[(verbAt + 1)...]
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { out.append(a); out += rest; break }
            out.append(rewriteOne(a, flags))
        }
        return out
    }

    static func rewriteOne(_ arg: String, _ flags: [(long: String, short: String?)]) -> String {
        for f in flags {
            for spelled in ["--" + f.long] + (f.short.map { ["-" + $0] } ?? []) where arg.hasPrefix(spelled + "=") {
                switch arg.dropFirst(spelled.count + 1).lowercased() {
                case "true", "1", "t": return "--" + f.long
                case "false", "0", "f": return "--no-" + f.long
                default: return arg
                }
            }
        }
        return arg
    }
}

extension CNCCommand: RewritesArguments {
    public static func rewrite(_ args: [String]) -> [String] { BoolOptionSyntax.rewrite(args) }
}

/// Runs a command body and turns a CNCError into Docker's report: `Error: MESSAGE` on stderr,
/// exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as CNCError {
        writeStderr("Error: \(e.description)\n")
        throw ExitCode(1)
    }
}
