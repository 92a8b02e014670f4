import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage
import CNCSystem

/// `cnc save`.
struct ImageSave: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save", abstract: "Save one or more images to a tar archive (streamed to STDOUT by default).",
        discussion: "EXAMPLES\n  cnc save busybox > busybox.tar\n  cnc save -o images.tar busybox web:v2\n  cnc save --format oci-archive -o busybox-oci.tar busybox")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Images (names or IDs).", completion: .imageNames)
    var images: [String]

    @Option(name: [.short, .long], help: "Write to a file, instead of STDOUT.")
    var output: String?

    @Option(name: .long, help: "Archive format: docker-archive (what docker save writes) or oci-archive.")
    var format: ArchiveFormatArgument = .init(value: .dockerArchive)

    func run() throws {
        let store = try global.imageStore()
        let ids = try images.map { try store.resolve($0).id.description }
        if let output {
            try BuildOutput.writeReplacing(output) { try store.save(images, format: format.value, to: $0) }
        } else {
            let out = FileStream.standardOutput()
            if out.isTerminal {
                throw CNCError(.invalidArgument, "cowardly refusing to save to a terminal. Use the -o flag or redirect")
            }
            try store.save(images, format: format.value, to: out)
        }
        for id in Set(ids).sorted() { global.recordImageEvent("save", id: id, name: id) }
    }
}

struct ArchiveFormatArgument: ExpressibleByArgument {
    let value: ArchiveFormat
    init(value: ArchiveFormat) { self.value = value }
    init?(argument: String) {
        guard let v = ArchiveFormat(rawValue: argument) else { return nil }
        value = v
    }
    var defaultValueDescription: String { value.rawValue }
    static var allValueStrings: [String] { ArchiveFormat.allCases.map(\.rawValue) }
}
