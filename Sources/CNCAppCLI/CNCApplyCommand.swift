import ArgumentParser
import CNCCore

/// The `cncapply` command: declarative apply / diff / watch / rollback over an app spec.
public struct CNCApplyCommand: AsyncParsableCommand, RewritesArguments {
    public static let configuration = CommandConfiguration(
        commandName: "cncapply",
        abstract: "Converge this host to an app spec (Compose-style YAML), with plans that explain themselves.",
        discussion: "EXAMPLES\n  cncapply -f app.yaml\n  cncapply diff -f app.yaml\n  cncapply status -p shop\n  cncapply down -p shop",
        version: CNCVersion.current,
        subcommands: specCommands + engineCommands,
        defaultSubcommand: ApplyCommand.self)

    /// apply, diff, history, rollback, status... (the reconciler) and version.
    static let engineCommands: [any ParsableCommand.Type] = [
        ApplyCommand.self, DiffCommand.self, HistoryCommand.self, RollbackCommand.self, StatusCommand.self, WatchCommand.self,
        AppPsCommand.self, AppLogsCommand.self, DownCommand.self, AppListCommand.self, InstallUnitCommand.self, SyncCommand.self, VersionCommand.self, CompletionCommand<CNCApplyCommand>.self,
    ]

    public init() {}

    /// The plain `cncapply [apply] -f FILE...` as the command ArgumentParser would parse, made
    /// without it (ApplyFastPath); nil for any other arguments.
    public static func preparsed(_ args: [String]) -> (any AsyncParsableCommand)? {
        let command = ApplyFastPath.parse(args).flatMap(ApplyFastPath.command)
        // The plain form may take the no-op record's shortcut (NoopRecord).
        if command != nil { ApplyFastPath.plainArguments = args }
        return command
    }

    /// `cncapply -f app.yaml down` means `cncapply down -f app.yaml`.
    /// `cncapply watch --prune=false` means `--no-prune` (Compose's boolean syntax).
    public static func rewrite(_ args: [String]) -> [String] {
        let moved = SpecOptionPlacement.moveAfterSubcommand(args) { Set(configuration.subcommands.map { $0._commandName }) }
        return moved.first == "watch" ? WatchCommand.rewriteBoolSyntax(moved) : moved
    }
}
