import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem

/// `cnc cp CONTAINER:SRC DEST` and `cnc cp SRC CONTAINER:DEST`.
struct ContainerCopy: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cp", abstract: "Copy files between a container and the local filesystem.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Archive mode (always on: uid/gid and modes are kept).") var archive = false
    @Argument var source: String
    @Argument var destination: String

    static func split(_ s: String) -> (String, String)? {
        guard !s.hasPrefix("/"), !s.hasPrefix("."), let colon = s.firstIndex(of: ":") else { return nil }
        return (String(s[..<colon]), String(s[s.index(after: colon)...]))
    }

    func run() throws {
        let r = try global.runtime()
        switch (Self.split(source), Self.split(destination)) {
        case (let (ref, path)?, nil):
            try r.copy(from: try r.container(ref), path: path, toHost: destination)
        case (nil, let (ref, path)?):
            try r.copy(fromHost: source, to: try r.container(ref), path: path)
        default:
            throw CNCError(.invalidArgument, "copying between containers or between local paths is not supported: one side must be CONTAINER:PATH")
        }
    }
}
