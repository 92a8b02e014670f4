import ArgumentParser

/// `cnc system ...`: docker's `docker system` (df, prune, info, events).
struct SystemGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Manage cnc.",
        subcommands: [SystemDf.self, SystemPrune.self, InfoCommand.self, EventsCommand.self])
}
