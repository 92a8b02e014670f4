import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage
import CNCOCI
import CNCSystem

/// `cnc import FILE|- [REPOSITORY[:TAG]]`: a rootfs tarball becomes a one-layer image.
struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import the contents from a tarball (plain, gzip or zstd) to create a filesystem image.",
        discussion: "EXAMPLES\n  cnc import rootfs.tar mybox:v1\n  cnc import - mybox:v1 < rootfs.tar.gz\n  cnc import -c 'CMD [\"sh\"]' -m 'from a tarball' rootfs.tar mybox:v1")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Tarball path, or - for standard input.", valueName: "file|-"), completion: .file())
    var file: String

    @Argument(help: ArgumentHelp("Name for the image.", valueName: "REPOSITORY[:TAG]"))
    var reference: String?

    @Option(name: [.short, .long], help: ArgumentHelp("Apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD).", valueName: "list"))
    var change: [String] = []

    @Option(name: [.short, .long], help: "Set a commit message for the imported image.")
    var message: String?

    @Option(name: .long, help: ArgumentHelp("Platform of the image (default: this host).", valueName: "os/arch[/variant]"))
    var platform: String?

    func validate() throws {
        if let reference { _ = try ImageReference(parsing: reference) }
        var c = ContainerConfig()
        for line in change { try ImageChange.apply(line, to: &c) }
    }

    func run() throws {
        let store = try global.imageStore()
        let plat = try platform.map { try Platform(parsing: $0) } ?? Platform.host(machine: Host.uname().machine)
        var options = ImportOptions(reference: try reference.map { try ImageReference(parsing: $0) }, platform: plat)
        options.changes = change
        options.message = message
        let source: FileStream = file == "-" ? .standardInput() : try FileStream.openForReading(file)
        let img = try store.importRootfs(from: source, options: options, sourceName: file == "-" ? "stdin" : FileSystem.baseName(file))
        global.recordImageEvent("import", id: img.id.description, name: img.id.description)
        print(img.id.description)
    }
}
