import ArgumentParser
import CNCAppCLI
import CNCCore
import CNCImage
import CNCOCI
import CNCRuntime
import CNCSystem

/// `cnc commit`: the container's changes (its upper dir) become a layer on top of its image.
struct ContainerCommit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit", abstract: "Create a new image from a container's changes.",
        discussion: "EXAMPLES\n  cnc commit web web:v2\n  cnc commit -m 'add config' -c 'CMD [\"httpd\", \"-f\"]' web web:v2\n  cnc commit --pause=false -a 'Jane <jane@example.com>' web web:snapshot")

    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\").") var author: String?
    @Option(name: [.short, .long], help: "Apply Dockerfile instruction to the created image.") var change: [String] = []
    @Option(name: [.short, .long], help: "Commit message.") var message: String?
    @Flag(name: [.customShort("p"), .long], inversion: .prefixedNo, help: "Pause container during commit (--pause=false too).") var pause = true
    @Argument(help: "The container.", completion: .containerNames) var container: String
    @Argument(help: ArgumentHelp("Name for the image.", valueName: "REPOSITORY[:TAG]"), completion: .imageNames) var reference: String?

    func run() throws {
        let image = try reportingErrors { () -> ResolvedImage in
            let ref = try reference.map { try ImageReference(parsing: $0) }
            var probe = CNCOCI.ContainerConfig()
            for line in change { try ImageChange.apply(line, to: &probe) }
            let r = try global.runtime()
            let c = try r.container(container)
            let upper = try r.upperDirectory(c)
            let store = try global.imageStore()
            let parent = try c.config.imageID.map { try store.resolve($0) }
            var options = CommitOptions(reference: ref, config: c.config.committedDefaults(over: parent?.config.config),
                                        createdBy: c.config.cmd.joined(separator: " "), platform: Platform.host(machine: Host.uname().machine))
            options.changes = change
            options.message = message
            options.author = author
            // Docker's default: the container's processes are frozen while its changes are read.
            let frozen = pause && c.state.status == .running
            if frozen { try r.pause(c.config.id.rawValue) }
            defer { if frozen { try? r.unpause(c.config.id.rawValue) } }
            return try store.commit(parent: parent, options: options) { tar in
                let archiver = try TreeArchiver(tar)
                archiver.mapOwner = c.config.ownerInContainer
                try archiver.addUpperLayer(upper, skipping: ContainerChanges.runtimeMountPoints)
            }
        }
        print(image.id.description)
    }
}
