import CNCCore
import CNCImage
import CNCSystem

/// `cnc build -o type=oci|docker,dest=FILE` (buildx's exporters): the image written as an OCI
/// layout tar or a docker-archive tar (`cnc save`'s writer) instead of being tagged in the
/// store; `dest=-` streams it to standard output. `type=image` (and `docker` without a dest)
/// is the default: the image lands in the store with its tags.
struct BuildOutput {
    var type: ArchiveType
    var dest: String

    enum ArchiveType: String {
        case oci, docker
        var format: ArchiveFormat { self == .oci ? .ociArchive : .dockerArchive }
    }

    /// nil for the default output (the store).
    static func parse(_ specs: [String]) throws -> BuildOutput? {
        guard let spec = specs.last else { return nil }
        guard specs.count == 1 else { throw CNCError(.invalidArgument, "multiple outputs are not supported") }
        var fields: [String: String] = [:]
        for field in spec.split(separator: ",").map(String.init) {
            let kv = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard kv.count == 2 else {
                // `-o DIR` is buildx's local exporter shorthand.
                if specs.count == 1, !spec.contains("=") { throw CNCError(.unsupported, "not supported yet: -o type=local (a directory)") }
                throw CNCError(.invalidArgument, "invalid value \(field)")
            }
            fields[kv[0].lowercased()] = kv[1]
        }
        let type = fields["type"] ?? ""
        switch type {
        case "image", "moby": return nil
        case "docker" where fields["dest"] == nil: return nil
        case "oci", "docker":
            guard let dest = fields["dest"], !dest.isEmpty else {
                throw CNCError(.invalidArgument, "output file is required for \(type) exporter. refusing to write to console")
            }
            return BuildOutput(type: ArchiveType(rawValue: type) ?? .oci, dest: dest)
        case "": throw CNCError(.invalidArgument, "type is required for output")
        case "local", "tar", "registry", "cacheonly": throw CNCError(.unsupported, "not supported yet: -o type=\(type)")
        default: throw CNCError(.invalidArgument, "unsupported output type \"\(type)\" (use oci or docker)")
        }
    }

    /// Writes the archive: to a temp file renamed into place (nothing half-written stays), or
    /// to standard output.
    func write(_ image: ResolvedImage, names: [ImageReference], store: ImageStore) throws {
        let images = [(image, names)]
        if dest == "-" {
            try store.save(images, format: type.format, to: FileStream.standardOutput())
            return
        }
        try Self.writeReplacing(dest) { try store.save(images, format: type.format, to: $0) }
    }

    /// Writes `path` through a temp file beside it, renamed into place when `body` succeeds.
    static func writeReplacing(_ path: String, _ body: (FileStream) throws -> Void) throws {
        let tmp = try FileStream.createTemporary(in: FileSystem.directoryName(path), prefix: ".\(FileSystem.baseName(path)).tmp-")
        do {
            try body(tmp)
            try tmp.sync()
            tmp.close()
            try FileSystem.moveItem(tmp.path, to: path)
        } catch {
            tmp.close()
            try? FileSystem.remove(tmp.path)
            throw error
        }
    }
}
