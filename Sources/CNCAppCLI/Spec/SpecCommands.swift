import ArgumentParser

extension CNCApplyCommand {
    /// cncapply commands of the spec compiler (validate, config, export).
    static let specCommands: [any ParsableCommand.Type] = [ValidateCommand.self, ConfigCommand.self, ExportCommand.self]
}
