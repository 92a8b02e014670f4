import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage

/// `cnc rmi` / `cnc image rm`.
struct ImageRemove: ParsableArguments {
    static let abstract = "Remove one or more images."

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Image names or IDs.", completion: .imageNames)
    var images: [String]

    @Flag(name: [.short, .long], help: "Force removal (untag an image used by a container; delete an image with several tags).")
    var force = false

    @Flag(name: .long, help: "Do not delete untagged parents (accepted for compatibility; cnc has no parent images).")
    var noPrune = false

    func run() async throws {
        let store = try await global.imageStoreForRemoval()
        var errors: [String] = []
        for name in images {
            do {
                let id = (try? store.resolve(name))?.id.description
                for line in try store.remove(name, force: force) {
                    print(line)
                    // Docker's events: untag and delete, both with the image's ID as actor and name.
                    if line.hasPrefix("Untagged: "), let id { global.recordImageEvent("untag", id: id, name: id) }
                    if line.hasPrefix("Deleted: ") {
                        let deleted = String(line.dropFirst("Deleted: ".count))
                        global.recordImageEvent("delete", id: deleted, name: deleted)
                    }
                }
            } catch let e as CNCError {
                errors.append(e.description)
            }
        }
        if !errors.isEmpty { throw CNCError(.notFound, errors.joined(separator: "\n")) }
    }
}
