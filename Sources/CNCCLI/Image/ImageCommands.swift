import ArgumentParser

extension CNCCommand {
    /// cnc image commands (images, pull, push, tag, save, load, import, rmi, image ...).
    static let imageCommands: [any ParsableCommand.Type] = []
}
