import ArgumentParser

/// Four commands have two forms: in their group with aliases (`cnc container ps|ls|list`,
/// `cnc container rm|remove`, `cnc image ls|list|images`, `cnc image rm|remove|rmi`) and at the
/// top level under docker's name only (`cnc ps`, `cnc rm`, `cnc images`, `cnc rmi`): at the top
/// level an alias would name two commands at once (`rm` was both `rm` and `rmi`'s alias). Their
/// options and `run()` live in one ParsableArguments type each (ContainerList, ContainerRemove,
/// ImageList, ImageRemove); each form below is a name over it. (An @OptionGroup of a
/// ParsableCommand type would print the inner command's name into the usage line.)
enum TopLevel {
    /// `commands` with each group form replaced by its top-level form.
    static func unaliased(_ commands: [any ParsableCommand.Type]) -> [any ParsableCommand.Type] {
        let forms: [ObjectIdentifier: any ParsableCommand.Type] = [
            ObjectIdentifier(GroupPs.self): TopLevelPs.self, ObjectIdentifier(GroupRm.self): TopLevelRm.self,
            ObjectIdentifier(GroupImages.self): TopLevelImages.self, ObjectIdentifier(GroupRmi.self): TopLevelRmi.self,
        ]
        return commands.map { forms[ObjectIdentifier($0)] ?? $0 }
    }
}

/// `cnc container ps|ls|list`.
struct GroupPs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: ContainerList.abstract, aliases: ["ls", "list"])
    @OptionGroup var options: ContainerList
    func run() throws { try options.run() }
}

/// `cnc ps`.
struct TopLevelPs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: ContainerList.abstract)
    @OptionGroup var options: ContainerList
    func run() throws { try options.run() }
}

/// `cnc container rm|remove`.
struct GroupRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: ContainerRemove.abstract, aliases: ["remove"])
    @OptionGroup var options: ContainerRemove
    func run() throws { try options.run() }
}

/// `cnc rm`.
struct TopLevelRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: ContainerRemove.abstract)
    @OptionGroup var options: ContainerRemove
    func run() throws { try options.run() }
}

/// `cnc image ls|list|images`.
struct GroupImages: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: ImageList.abstract, aliases: ["images", "list"])
    @OptionGroup var options: ImageList
    func run() throws { try options.run() }
}

/// `cnc images`.
struct TopLevelImages: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: ImageList.abstract)
    @OptionGroup var options: ImageList
    func run() throws { try options.run() }
}

/// `cnc image rm|remove|rmi`.
struct GroupRmi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: ImageRemove.abstract, aliases: ["remove", "rmi"])
    @OptionGroup var options: ImageRemove
    func run() async throws { try await options.run() }
}

/// `cnc rmi`.
struct TopLevelRmi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: ImageRemove.abstract)
    @OptionGroup var options: ImageRemove
    func run() async throws { try await options.run() }
}
