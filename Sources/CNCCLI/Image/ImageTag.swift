import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage

/// `cnc tag SOURCE TARGET`.
struct ImageTag: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag", abstract: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE (the move is recorded in the tag history).",
        discussion: "EXAMPLES\n  cnc tag busybox mybox:v1\n  cnc tag web:v2 registry.example.com:5000/web:v2")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Source image name or ID.", valueName: "SOURCE_IMAGE[:TAG]"), completion: .imageNames)
    var source: String

    @Argument(help: ArgumentHelp("New reference.", valueName: "TARGET_IMAGE[:TAG]"))
    var target: String

    func run() throws {
        let ref = try ImageReference(parsing: target)
        let image = try global.imageStore().tag(source, as: ref)
        global.recordImageEvent("tag", id: image.id.description, name: ref.familiar)
    }
}
