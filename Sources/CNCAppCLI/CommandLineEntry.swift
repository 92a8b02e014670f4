import ArgumentParser
import Dispatch
import CNCCgroups
import CNCCore
import CNCStart
import CNCSystem

/// A root command that puts its arguments in the order ArgumentParser reads before it parses them.
public protocol RewritesArguments {
    static func rewrite(_ args: [String]) -> [String]
}

/// Runs a root command and turns errors into a message on stderr and an exit status.
public enum CommandLineEntry {
    /// Parses the process arguments for `root`, runs the command and exits.
    /// `handOff`: verbs another executable beside this one serves (`cnc pull` -> `cnc-registry
    /// pull`); for them this process execs that one at once, keeping every argument.
    /// `fastPath`: runs the command without ArgumentParser when it can (returning its exit
    /// status), or returns nil to have ArgumentParser parse the arguments.
    /// `preparsed`: the command ArgumentParser would parse from these arguments, made without
    /// it (nil: ArgumentParser parses them); it runs as a parsed one does.
    /// CNC_NO_FAST_PARSE=1 turns both off (tests compare the two paths' output).
    public static func main(
        _ root: any AsyncParsableCommand.Type, name: String, handOff: (verbs: Set<String>, executable: String)? = nil,
        fastPath: (([String]) throws -> Int32?)? = nil, preparsed: (([String]) -> (any AsyncParsableCommand)?)? = nil
    ) -> Never {
        do {
            Trace.mark("main")
            var args = try hoistGlobalOptions(Array(CommandLine.arguments.dropFirst()))
            if let rewriting = root as? any RewritesArguments.Type { args = rewriting.rewrite(args) }
            if let handOff {
                // `cnc pull ...` and `cnc image pull ...` alike (that executable decides about
                // the rootless namespace itself).
                let rest = args.first == "image" ? Array(args.dropFirst()) : args
                if let verb = rest.first, handOff.verbs.contains(verb) {
                    try Host.exec(Host.executableDirectory + "/" + handOff.executable, [name] + rest)
                }
            }
            // Rootless: only commands that reach containers, images or state join (or create) the
            // user's namespaces; help, version, completion scripts and usage errors do not, so
            // they work without subordinate ids (as podman's do). Root pays one geteuid.
            let fast = Host.environment("CNC_NO_FAST_PARSE") == nil
            var fastPath = fast ? fastPath : nil
            let command = fast ? preparsed?(args) : nil
            if Rootless.wouldEnter {
                // A preparsed command is what ArgumentParser would have parsed: it needs no parse here.
                let need = command.map { $0 is any RunsOutsideRootlessNamespace ? RootlessNeed.none : .namespace } ?? rootlessNeed(root, args)
                switch need {
                case .namespace: Rootless.enterIfUnprivileged()
                case .none, .usageError: fastPath = nil  // ArgumentParser shows or reports it, below
                }
            }
            // Commands that move a process into a cgroup warm the migration lock first thing, so
            // its RCU grace period overlaps argument parsing and setup (see MigrationPrimer).
            // (`run` warms it once its cgroups exist: see the runtime's StartPreparations.)
            if name == "cnc", let verb = args.first, ["start", "restart", "exec"].contains(verb) {
                MigrationPrimer.prime(layout: CgroupManagers.hostLayout())
            }
            if let word = args.first, let refusal = unknownCommand(word, root: root, name: name) {
                writeStderr(refusal)
                exitProcess(1)
            }
            // The fast path runs here, on the main thread, before any Swift concurrency starts.
            if let fastPath, let status = try fastPath(args) { exitProcess(status) }
            if let command {
                Trace.mark("parsed (fast)")
                Task { await run(command, root: root, name: name, args: args) }
            } else {
                Task { await parseAndRun(root, name: name, args: args) }
            }
            dispatchMain()
        } catch {
            fail(error, root: root, name: name, args: Array(CommandLine.arguments.dropFirst()))
        }
    }

    enum RootlessNeed: Equatable { case namespace, none, usageError }

    /// Whether `args` name a command that needs the rootless namespaces: parsed as
    /// ArgumentParser will parse them (no side effects: `run` happens later). Help (`--help`,
    /// `help`), `--version`, commands marked `RunsOutsideRootlessNamespace` and arguments that do
    /// not parse need none.
    static func rootlessNeed(_ root: any AsyncParsableCommand.Type, _ args: [String]) -> RootlessNeed {
        do {
            let command = try root.parseAsRoot(args)
            if command is any RunsOutsideRootlessNamespace { return .none }
            // ArgumentParser's own `help` subcommand (an internal type).
            if String(describing: type(of: command)) == "HelpCommand" { return .none }
            return .namespace
        } catch {
            return root.exitCode(for: error) == .success ? .none : .usageError
        }
    }

    static func parseAndRun(_ root: any AsyncParsableCommand.Type, name: String, args: [String]) async -> Never {
        do {
            var command = try root.parseAsRoot(args)
            Trace.mark("parsed")
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            exitProcess(0)
        } catch {
            fail(error, root: root, name: name, args: args)
        }
    }

    /// Runs a command made without ArgumentParser (`preparsed`), as parseAndRun runs a parsed one.
    static func run(_ command: any AsyncParsableCommand, root: any AsyncParsableCommand.Type, name: String, args: [String]) async -> Never {
        do {
            var command = command
            try await command.run()
            exitProcess(0)
        } catch {
            fail(error, root: root, name: name, args: args)
        }
    }

    /// Docker's words for a first argument that names no command (`cnc attach` where cnc has no
    /// attach, `cncapply foo`), with the help that lists the commands there are. nil when `word`
    /// is a command, an option, or an argument the root's default command takes.
    static func unknownCommand(_ word: String, root: any AsyncParsableCommand.Type, name: String) -> String? {
        // An option is never a command: the plain `cncapply -f app.yaml` does not build the
        // root's configuration (every subcommand type's) here.
        guard !word.hasPrefix("-") else { return nil }
        let config = root.configuration
        guard !config.subcommands.isEmpty else { return nil }
        let known = Set(config.subcommands.flatMap { [$0._commandName] + $0.configuration.aliases } + ["help"])
        guard !known.contains(word) else { return nil }
        if let fallback = config.defaultSubcommand, (try? fallback.parse([word])) != nil { return nil }
        return "\(name): '\(word)' is not a \(name) command.\nSee '\(name) --help'.\n\n" + root.helpMessage(columns: 100) + "\n"
    }

    /// unknownCommand's words for a group's unknown command (`cnc volume bogus`: "cnc: 'volume
    /// bogus' is not a cnc command.", the group's help, exit 1), never ArgumentParser's
    /// "Unexpected argument". Only on the error path: the word after the group's path is no
    /// option and names none of its commands.
    static func unknownSubcommand(_ args: [String], root: any AsyncParsableCommand.Type, name: String) -> String? {
        let path = commandPath(args, root: root)
        guard !path.isEmpty, path.count < args.count else { return nil }
        let word = args[path.count]
        guard !word.hasPrefix("-") else { return nil }
        var command: any ParsableCommand.Type = root
        for p in path {
            guard let sub = command.configuration.subcommands.first(where: { $0._commandName == p || $0.configuration.aliases.contains(p) })
            else { return nil }
            command = sub
        }
        let config = command.configuration
        guard !config.subcommands.isEmpty, config.defaultSubcommand == nil, word != "help" else { return nil }
        let words = (path + [word]).joined(separator: " ")
        let group = ([name] + path).joined(separator: " ")
        return "\(name): '\(words)' is not a \(name) command.\nSee '\(group) --help'.\n\n" + command.helpMessage(columns: 100) + "\n"
    }

    /// Every error of both tools has one prefix, `Error: ` (ArgumentParser's and Docker's CLI's),
    /// whichever layer raised it: no `cncapply: ... cnc: ...` chains.
    static func fail(_ error: any Error, root: any AsyncParsableCommand.Type, name: String, args: [String]) -> Never {
        if let error = error as? CNCError {
            writeStderr(ErrorText.line(error.description))
            exitProcess(exitStatus(for: error))
        }
        if let refusal = unknownSubcommand(args, root: root, name: name) {
            writeStderr(refusal)
            exitProcess(1)
        }
        // `cnc`'s usage errors (unknown flag, missing or bad value...) as docker's cobra reports
        // them, for every command: its words, the command's help hint, exit 125 (1 for a
        // missing argument). An ExitCode a command throws is its status as it is (inspect's 64
        // for a template that does not parse is docker's, and no usage error).
        if name == "cnc", !(error is ExitCode), root.exitCode(for: error) == .validationFailure {
            let path = ([name] + commandPath(args, root: root)).joined(separator: " ")
            let message = root.message(for: error)
            writeStderr(UsageError.dockerMessage(message, command: path) + "\nSee '\(path) --help'.\n")
            exitProcess(UsageError.exitStatus(message))
        }
        root.exit(withError: error)
    }

    /// The subcommand words at the start of `args` (`container ls` of `container ls --foo`).
    static func commandPath(_ args: [String], root: any ParsableCommand.Type) -> [String] {
        var command: any ParsableCommand.Type = root
        var path: [String] = []
        for word in args {
            guard let sub = command.configuration.subcommands.first(where: {
                $0._commandName == word || $0.configuration.aliases.contains(word)
            }) else { break }
            path.append(word)
            command = sub
        }
        return path
    }

    /// Global options given before the subcommand (`cnc --root DIR run ...`, as with docker)
    /// apply to whatever command follows: they become the environment variables those options
    /// default to, and leave the argument list.
    static func hoistGlobalOptions(_ args: [String]) throws -> [String] {
        let globals = LeadingGlobalOptions(args)
        for (name, value) in globals.values {
            if name == "--log-level", LogLevelArgument(argument: value) == nil {
                throw ValidationError("The value '\(value)' is invalid for '--log-level <level>'. Please provide one of "
                    + LogLevelArgument.allValueStrings.joined(separator: ", ") + ".")
            }
            Host.setEnvironment(name == "--root" ? "CNC_ROOT" : name == "--cgroup-manager" ? "CNC_CGROUP_MANAGER" : "CNC_LOG_LEVEL", value)
        }
        if let missing = globals.missingValue { throw ValidationError("Missing value for '\(missing) <value>'") }
        return globals.rest
    }

    /// 1 for an error in what the user asked (bad spec, unknown image...), 125 for the engine.
    static func exitStatus(for error: CNCError) -> Int32 { error.exitStatus }
}

/// A command that never needs rootless cnc's user namespace (it reads no state: version, help,
/// completion scripts), so an unprivileged user without subordinate ids can run it.
public protocol RunsOutsideRootlessNamespace {}
