import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRegistry
import CNCSystem

/// `cnc login`: checks the credentials against the registry, then stores them (0600).
struct RegistryLogin: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: RegistryHelp.loginAbstract, discussion: RegistryHelp.loginExamples)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var registry: RegistryFlags

    @Argument(help: ArgumentHelp("Registry host (default docker.io).", valueName: "SERVER"))
    var server: String = ImageReference.defaultDomain

    @Option(name: [.short, .long], help: "Username.")
    var username: String?

    @Option(name: [.short, .long], help: "Password (prefer --password-stdin).")
    var password: String?

    @Flag(name: .long, help: "Take the password from stdin.")
    var passwordStdin = false

    func validate() throws {
        if password != nil && passwordStdin { throw ValidationError("--password and --password-stdin are mutually exclusive") }
        if username == nil { throw ValidationError("--username is required (cnc does not prompt)") }
    }

    func run() throws {
        var pass = password ?? ""
        if passwordStdin {
            pass = String(decoding: try FileStream.standardInput().readAllBytes(), as: UTF8.self)
            while pass.hasSuffix("\n") || pass.hasSuffix("\r") { pass.removeLast() }
        }
        let host = server.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
            .split(separator: "/").first.map(String.init) ?? server
        let cred = Credential(username: username ?? "", password: pass)
        var options = registry.options(global)
        options.credentials = nil
        let client = try RegistryClient(host: host, options: options, credential: cred)
        try client.ping()
        try registry.credentialStore(global).store(cred, for: host)
        print("Login Succeeded")
    }
}

/// `cnc logout`.
struct RegistryLogout: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: RegistryHelp.logoutAbstract, discussion: RegistryHelp.logoutExamples)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var registry: RegistryFlags

    @Argument(help: ArgumentHelp("Registry host (default docker.io).", valueName: "SERVER"))
    var server: String = ImageReference.defaultDomain

    func run() throws {
        if try registry.credentialStore(global).remove(server) {
            print("Removing login credentials for \(server)")
        } else {
            print("Not logged in to \(server)")
        }
    }
}
