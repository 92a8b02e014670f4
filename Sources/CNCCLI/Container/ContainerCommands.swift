import ArgumentParser

extension CNCCommand {
    /// cnc container commands (run, create, start, stop, ps, inspect, exec, logs, ...).
    static let containerCommands: [any ParsableCommand.Type] = []
}
