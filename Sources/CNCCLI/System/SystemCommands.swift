import ArgumentParser

/// `cnc system ...`: docker's `docker system` (df, prune, info, events).
struct SystemGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage cnc.",
        discussion: "EXAMPLES\n  cnc system df\n  cnc system prune -a\n  cnc system info\n  cnc system events --since 10m",
        subcommands: [SystemDf.self, SystemPrune.self, InfoCommand.self, EventsCommand.self])
}
