import ArgumentParser

extension CNCApplyCommand {
    /// cncapply commands of the spec compiler (validate, config).
    static let specCommands: [any ParsableCommand.Type] = [ValidateCommand.self, ConfigCommand.self]
}
