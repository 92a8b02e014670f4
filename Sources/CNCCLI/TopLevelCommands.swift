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
            // docker's top-level `inspect` finds any kind of object; `container inspect` only containers.
            ObjectIdentifier(ContainerInspect.self): TopLevelInspect.self,
        ]
        return commands.map { forms[ObjectIdentifier($0)] ?? $0 }
    }
}

/// `cnc container ps|ls|list`.
struct GroupPs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: ContainerList.abstract,
        discussion: "EXAMPLES\n  cnc container ls\n  cnc container ls -a\n  cnc container list -q --filter status=exited", aliases: ["ls", "list"])
    @OptionGroup var options: ContainerList
    func run() throws { try options.run() }
}

/// `cnc ps`.
struct TopLevelPs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: ContainerList.abstract,
        discussion: "EXAMPLES\n  cnc ps\n  cnc ps -a\n  cnc ps -q --filter status=exited\n  cnc ps --format 'table {{.Names}}\\t{{.Status}}\\t{{.Ports}}'")
    @OptionGroup var options: ContainerList
    func run() throws { try options.run() }
}

/// `cnc container rm|remove`.
struct GroupRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: ContainerRemove.abstract,
        discussion: "EXAMPLES\n  cnc container rm web\n  cnc container remove -f web db", aliases: ["remove"])
    @OptionGroup var options: ContainerRemove
    func run() throws { try options.run() }
}

/// `cnc rm`.
struct TopLevelRm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: ContainerRemove.abstract,
        discussion: "EXAMPLES\n  cnc rm web\n  cnc rm -f web\n  cnc rm -v db")
    @OptionGroup var options: ContainerRemove
    func run() throws { try options.run() }
}

/// `cnc image ls|list|images`.
struct GroupImages: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: ImageList.abstract,
        discussion: "EXAMPLES\n  cnc image ls\n  cnc image ls busybox\n  cnc image list -q --no-trunc\n  cnc image images --digests", aliases: ["images", "list"])
    @OptionGroup var options: ImageList
    func run() throws { try options.run() }
}

/// `cnc images`.
struct TopLevelImages: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: ImageList.abstract,
        discussion: "EXAMPLES\n  cnc images\n  cnc images busybox\n  cnc images --format '{{.Repository}}:{{.Tag}}'")
    @OptionGroup var options: ImageList
    func run() throws { try options.run() }
}

/// `cnc image rm|remove|rmi`.
struct GroupRmi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: ImageRemove.abstract,
        discussion: "EXAMPLES\n  cnc image rm mybox:v1\n  cnc image remove -f busybox\n  cnc image rmi --no-prune web:v1", aliases: ["remove", "rmi"])
    @OptionGroup var options: ImageRemove
    func run() async throws { try await options.run() }
}

/// `cnc rmi`.
struct TopLevelRmi: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: ImageRemove.abstract,
        discussion: "EXAMPLES\n  cnc rmi mybox:v1\n  cnc rmi -f busybox web:v1")
    @OptionGroup var options: ImageRemove
    func run() async throws { try await options.run() }
}
