import ArgumentParser
import CNCCgroups
import CNCCore
import CNCSystem

/// Runs a root command and turns errors into a message on stderr and an exit status.
public enum CommandLineEntry {
    /// Parses the process arguments for `root`, runs the command and exits.
    public static func main(_ root: any AsyncParsableCommand.Type, name: String) async -> Never {
        // Commands that move a process into a cgroup warm the migration lock first thing, so its
        // RCU grace period overlaps argument parsing and setup (see MigrationPrimer).
        if name == "cnc", let verb = CommandLine.arguments.dropFirst().first, ["run", "start", "restart", "exec"].contains(verb) {
            MigrationPrimer.prime(layout: CgroupManagers.hostLayout())
        }
        do {
            Trace.mark("main")
            var command = try root.parseAsRoot()
            Trace.mark("parsed")
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            exitProcess(0)
        } catch let error as CNCError {
            writeStderr("\(name): \(error.description)\n")
            exitProcess(exitStatus(for: error))
        } catch {
            root.exit(withError: error)
        }
    }

    /// 1 for an error in what the user asked (bad spec, unknown image...), 125 for the engine.
    static func exitStatus(for error: CNCError) -> Int32 {
        switch error.code {
        case .invalidArgument, .invalidSpec, .notFound, .alreadyExists, .conflict: 1
        default: 125
        }
    }
}
