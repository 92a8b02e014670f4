import ArgumentParser

/// `cncapply [apply] [-f FILE]... [-p NAME] [--root DIR] [--log-level L] [--cgroup-manager M]`
/// read without ArgumentParser. ArgumentParser's parse of ApplyCommand (reflection over its
/// option groups, each first cast a scan of the binary's protocol conformances) was ~2.5 ms of
/// a ~20 ms no-op apply. Any other argument or spelling declines (nil) and ArgumentParser reads
/// the whole line as ever, so help, errors and every other option keep its words.
enum ApplyFastPath {
    /// The arguments of this process's plain apply, set when `cncapply` made its ApplyCommand
    /// here (only the plain form checks and writes the no-op record); nil otherwise.
    nonisolated(unsafe) static var plainArguments: [String]?

    /// The values the plain form carries.
    struct Invocation: Equatable {
        var files: [String] = []
        var projectName: String?
        var root: String?
        var logLevel: String?
        var cgroupManager: String?
    }

    /// The options the plain form takes: spelling -> what it sets.
    enum Key { case file, projectName, root, logLevel, cgroupManager }
    static let names: [String: Key] = [
        "-f": .file, "--file": .file, "-p": .projectName, "--project-name": .projectName,
        "--root": .root, "--log-level": .logLevel, "--cgroup-manager": .cgroupManager,
    ]

    /// `args` (after CNCApplyCommand.rewrite) as the plain form, or nil when they are anything
    /// else: another option or word, a missing or empty value, a value that starts with `-`
    /// (ArgumentParser decides whether that is a value or an option), `--`, or a log level
    /// ArgumentParser would refuse.
    static func parse(_ args: [String]) -> Invocation? {
        var inv = Invocation()
        var rest = args[...]
        if rest.first == "apply" { rest = rest.dropFirst() }
        while let word = rest.popFirst() {
            let name: String, value: String
            if word.hasPrefix("--"), let eq = word.firstIndex(of: "=") {
                name = String(word[..<eq])
                value = String(word[word.index(after: eq)...])
            } else {
                guard let next = rest.popFirst() else { return nil }
                name = word
                value = next
            }
            guard let key = names[name], !value.isEmpty, !value.hasPrefix("-") else { return nil }
            switch key {
            case .file: inv.files.append(value)
            case .projectName: inv.projectName = value
            case .root: inv.root = value
            case .logLevel:
                guard LogLevelArgument(argument: value) != nil else { return nil }
                inv.logLevel = value
            case .cgroupManager: inv.cgroupManager = value
            }
        }
        return inv
    }

    /// The ApplyCommand ArgumentParser makes of the same arguments: every property set (an
    /// option never set traps when read), validated as a parse validates (nil if not).
    static func command(_ inv: Invocation) -> ApplyCommand? {
        var global = GlobalOptions()
        global.root = inv.root
        global.logLevel = inv.logLevel.flatMap(LogLevelArgument.init(argument:))
        global.cgroupManager = inv.cgroupManager
        var spec = SpecOptions()
        spec.file = inv.files
        spec.projectName = inv.projectName
        spec.envFile = []
        spec.profile = []
        spec.ageKeyFile = nil
        var registry = PullFlags()
        registry.insecureRegistries = []
        registry.authfile = nil
        var flags = ApplyFlags()
        flags.dryRun = false
        flags.prune = false
        flags.pruneVolumes = false
        flags.forceRecreate = false
        flags.noStart = false
        flags.wait = false
        flags.timeout = nil
        flags.noWaitLock = false
        flags.output = .text
        var command = ApplyCommand()
        command.global = global
        command.spec = spec
        command.registry = registry
        command.apply = flags
        command.watch = false
        command.planFile = nil
        guard (try? command.validate()) != nil else { return nil }
        return command
    }
}
