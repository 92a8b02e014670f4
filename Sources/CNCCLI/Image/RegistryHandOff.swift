import ArgumentParser
import CNCAppCLI
import CNCSystem

extension CNCCommand {
    /// Served by the `cnc-registry` executable (see CNCRegistryCommand): cnc execs it for these.
    public static let registryVerbs: Set<String> = ["pull", "push", "login", "logout"]
}

/// `cnc pull|push|login|logout`: listed in `cnc --help` here, run by `cnc-registry` (cnc's
/// entry point hands these verbs over before parsing, so all their flags and help are its).
protocol RegistryHandOffCommand: ParsableCommand {
    var arguments: [String] { get }
}

extension RegistryHandOffCommand {
    func run() throws {
        try Host.exec(Host.executableDirectory + "/cnc-registry", ["cnc", Self.configuration.commandName ?? ""] + arguments)
    }
}

struct PullHandOff: RegistryHandOffCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: RegistryHelp.pullAbstract, discussion: RegistryHelp.pullExamples)
    @Argument(parsing: .captureForPassthrough, help: "See cnc pull --help.") var arguments: [String] = []
}

struct PushHandOff: RegistryHandOffCommand {
    static let configuration = CommandConfiguration(commandName: "push", abstract: RegistryHelp.pushAbstract, discussion: RegistryHelp.pushExamples)
    @Argument(parsing: .captureForPassthrough, help: "See cnc push --help.") var arguments: [String] = []
}

struct LoginHandOff: RegistryHandOffCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: RegistryHelp.loginAbstract, discussion: RegistryHelp.loginExamples)
    @Argument(parsing: .captureForPassthrough, help: "See cnc login --help.") var arguments: [String] = []
}

struct LogoutHandOff: RegistryHandOffCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: RegistryHelp.logoutAbstract, discussion: RegistryHelp.logoutExamples)
    @Argument(parsing: .captureForPassthrough, help: "See cnc logout --help.") var arguments: [String] = []
}
