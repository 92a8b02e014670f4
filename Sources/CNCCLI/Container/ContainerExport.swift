import ArgumentParser
import CNCAppCLI
import CNCCore
import CNCImage
import CNCRuntime
import CNCSystem

/// `cnc export`: the container's filesystem (image plus changes, no mounts) as a tar.
struct ContainerExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a container's filesystem as a tar archive.",
        discussion: "EXAMPLES\n  cnc export web > web.tar\n  cnc export -o web.tar web")

    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Write to a file, instead of STDOUT.") var output: String?
    @Argument(help: "The container.", completion: .containerNames) var container: String

    func run() throws {
        try reportingErrors {
            if output == nil && Terminal.isTerminal(1) {
                throw CNCError(.invalidArgument, "cowardly refusing to save to a terminal. Use the -o flag or redirect")
            }
            let r = try global.runtime()
            let c = try r.container(container)
            try r.withFilesystem(c) { root in
                try ContainerExport.write(to: output) { stream in
                    let tar = try TarWriter(to: stream)
                    let archiver = try TreeArchiver(tar)
                    archiver.mapOwner = c.config.ownerInContainer
                    try archiver.addTree(root)
                    try tar.finish()
                }
            }
        }
    }

    /// Writes to stdout, or to `path` through a temp file beside it that replaces it only once
    /// complete (as Docker does): a failed export leaves no partial file.
    static func write(to path: String?, _ body: (FileStream) throws -> Void) throws {
        guard let path else { return try body(.standardOutput()) }
        let dir = FileSystem.directoryName(path)
        let tmp = try FileStream.createTemporary(in: dir.isEmpty ? "." : dir, prefix: ".cnc-export-")
        do {
            try body(tmp)
            try tmp.sync()
            tmp.close()
            try FileSystem.setMode(tmp.path, 0o644)
            try FileSystem.rename(tmp.path, to: path)
        } catch {
            tmp.close()
            try? FileSystem.remove(tmp.path)
            throw error
        }
    }
}
