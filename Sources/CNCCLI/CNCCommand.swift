import ArgumentParser
import CNCAppCLI
import CNCCore
import CNCSystem
import CNCStart
import CNCEngine
import CNCNetwork

/// The `cnc` command: imperative, docker-like engine commands.
public struct CNCCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cnc",
        abstract: "A container engine: images, containers, networks — no daemon.",
        discussion: "EXAMPLES\n  cnc run -d --name web -p 8080:80 nginx:alpine\n  cnc ps -a\n  cnc logs -f web\n  cnc exec -it web sh\n  cnc rm -f web",
        version: CNCVersion.current,
        subcommands: systemCommands + containerCommands + imageCommands + networkCommands + volumeCommands)

    /// Each area contributes its own list, so areas never edit the same line. Container commands
    /// come first: where names meet at the top level (`rm`), the container command is meant,
    /// as in docker; the image variants live under `cnc image`.
    static let systemCommands: [any ParsableCommand.Type] = [InfoCommand.self, VersionCommand.self, EventsCommand.self, SystemGroup.self, BuilderGroup.self, CompletionCommand<CNCCommand>.self]

    public init() {}
}

extension CNCCommand {
    /// `run` and `create` without ArgumentParser when RunFlags.parseFast understands every
    /// argument (the lean `cnc` hands these over when they need the bridge driver or an image
    /// unpacked); nil for everything else.
    public static func fastPath(_ args: [String]) throws -> Int32? {
        guard let verb = args.first, verb == "run" || verb == "create",
              let inv = RunFlags.parseFast(Array(args.dropFirst()), withDetach: verb == "run") else { return nil }
        var level: LogLevelArgument?
        if let text = inv.logLevel {
            guard let l = LogLevelArgument(argument: text) else { return nil }
            level = l
        }
        Trace.mark("parsed (fast)")
        var engine = GlobalOptions.engineConfig(root: inv.root, logLevel: level)
        engine.cgroupManager = inv.cgroupManager
        let runtime = try ContainerEngine.runtime(engine)
        return try ContainerLaunch.perform(verb, inv, runtime: runtime, image: { try inv.flags.resolveImage(engine) })
    }
}
