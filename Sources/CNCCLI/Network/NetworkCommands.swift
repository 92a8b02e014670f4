import ArgumentParser

extension CNCCommand {
    /// cnc network commands (network create/ls/inspect/rm/prune/connect/disconnect).
    static let networkCommands: [any ParsableCommand.Type] = []
}
