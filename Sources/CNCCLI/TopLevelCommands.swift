import ArgumentParser

/// The top-level forms of commands whose group form has aliases. Docker has `docker ps`,
/// `docker rm`, `docker images` and `docker rmi` under those names only (`ls`, `list`,
/// `remove` belong to `docker container ...` / `docker image ...`), and at the top level an alias
/// would name two commands at once (`rm` was both `rm` and `rmi`'s alias). Each runs the group
/// command it wraps, with the same options.
enum TopLevel {
    /// `commands` with each aliased group command replaced by its top-level form.
    static func unaliased(_ commands: [any ParsableCommand.Type]) -> [any ParsableCommand.Type] {
        let forms: [ObjectIdentifier: any ParsableCommand.Type] = [
            ObjectIdentifier(ContainerList.self): TopLevelPs.self, ObjectIdentifier(ContainerRemove.self): TopLevelRm.self,
            ObjectIdentifier(ImageList.self): TopLevelImages.self, ObjectIdentifier(ImageRemove.self): TopLevelRmi.self,
        ]
        return commands.map { forms[ObjectIdentifier($0)] ?? $0 }
    }
}

/// `cnc ps` (`cnc container ls|ps|list`).
struct TopLevelPs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: ContainerList.configuration.abstract)
    @OptionGroup var command: ContainerList
    func run() throws { try command.run() }
}

/// `cnc rm` (`cnc container rm|remove`).
struct TopLevelRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: ContainerRemove.configuration.abstract)
    @OptionGroup var command: ContainerRemove
    func run() throws { try command.run() }
}

/// `cnc images` (`cnc image ls|list|images`).
struct TopLevelImages: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: ImageList.configuration.abstract)
    @OptionGroup var command: ImageList
    func run() throws { try command.run() }
}

/// `cnc rmi` (`cnc image rm|remove|rmi`).
struct TopLevelRmi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: ImageRemove.configuration.abstract)
    @OptionGroup var command: ImageRemove
    func run() async throws { try await command.run() }
}
