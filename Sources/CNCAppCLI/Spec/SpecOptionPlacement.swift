/// Compose users type `docker compose -f app.yaml down` and `docker compose down -f app.yaml`
/// alike. ArgumentParser reads options only after the subcommand that declares them, so the
/// spec options given before a cncapply subcommand move after it, spelled long (`-f` is
/// `--follow` to `logs`, `--file` is the spec file to every command).
public enum SpecOptionPlacement {
    /// Each spelling of a spec option that takes a value -> its long name.
    static let longNames: [String: String] = [
        "-f": "--file", "--file": "--file", "-p": "--project-name", "--project-name": "--project-name",
        "--env-file": "--env-file", "--profile": "--profile", "--age-key-file": "--age-key-file",
    ]

    /// `args` with the spec options in front of a subcommand moved behind it; unchanged when no
    /// subcommand follows them (`cncapply -f app.yaml --dry-run` is the default apply).
    /// `subcommands` is asked only when a word that may be one follows the spec options: the
    /// plain `cncapply -f app.yaml --root DIR` never builds the root command's configuration.
    public static func moveAfterSubcommand(_ args: [String], subcommands: () -> Set<String>) -> [String] {
        var moved: [String] = []
        var i = 0
        while i < args.count {
            let arg = args[i]
            if let eq = arg.firstIndex(of: "="), arg.hasPrefix("--"), let long = longNames[String(arg[..<eq])] {
                moved += [long, String(arg[arg.index(after: eq)...])]  // --file=app.yaml
                i += 1
            } else if let long = longNames[arg] {
                guard i + 1 < args.count else { return args }  // ArgumentParser reports the missing value
                moved += [long, args[i + 1]]
                i += 2
            } else if arg.count > 2, !arg.hasPrefix("--"), let long = longNames[String(arg.prefix(2))] {
                moved += [long, String(arg.dropFirst(2))]  // -fapp.yaml
                i += 1
            } else {
                break
            }
        }
        guard !moved.isEmpty, i < args.count, !args[i].hasPrefix("-"), subcommands().contains(args[i]) else { return args }
        return [args[i]] + moved + args[(i + 1)...]
    }
}
