import ArgumentParser
import CNCAppCLI
import CNCCore

/// The `cnc` command: imperative, docker-like engine commands.
public struct CNCCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cnc",
        abstract: "A container engine: images, containers, networks — no daemon.",
        version: CNCVersion.current,
        subcommands: systemCommands + containerCommands + imageCommands + networkCommands)

    /// Each area contributes its own list, so areas never edit the same line. Container commands
    /// come first: where names meet at the top level (`rm`), the container command is meant,
    /// as in docker; the image variants live under `cnc image`.
    static let systemCommands: [any ParsableCommand.Type] = [InfoCommand.self, VersionCommand.self]

    public init() {}
}
