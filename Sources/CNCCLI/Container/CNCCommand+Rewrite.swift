import ArgumentParser
import CNCAppCLI
import CNCCore
import CNCSystem

/// Docker's boolean flags take a value too (`--rm=false`, `--sig-proxy=0`, `-i=true`): see
/// BoolFlagValues, which rewrites them for every cnc command before parsing.
extension CNCCommand: RewritesArguments {
    public static func rewrite(_ args: [String]) -> [String] { BoolFlagValues.rewrite(args, root: CNCCommand.self) }
}

/// Runs a command body and turns a CNCError into Docker's report: `Error: MESSAGE` on stderr,
/// exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as CNCError {
        writeStderr("Error: \(e.description)\n")
        throw ExitCode(1)
    }
}
