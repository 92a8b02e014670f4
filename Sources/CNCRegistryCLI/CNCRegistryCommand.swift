import ArgumentParser
import CNCAppCLI
import CNCCore

/// The registry commands of `cnc` (pull, push, login, logout), in an executable of their own
/// (`cnc-registry`): the registry client's HTTPS stack (FoundationNetworking, libcurl and some
/// 25 libraries) then loads only for them, not at every `cnc run`. `cnc pull ...` execs it.
public struct CNCRegistryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cnc",
        abstract: "Registry commands of cnc.",
        version: CNCVersion.current,
        subcommands: [ImagePull.self, ImagePush.self, RegistryLogin.self, RegistryLogout.self, FetchURL.self])

    public init() {}

    /// The commands this executable serves.
    public static let commandNames: Set<String> = ["pull", "push", "login", "logout"]
}
