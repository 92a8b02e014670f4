import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage
import CNCRuntime
import CNCSystem

/// `cnc cp CONTAINER:SRC DEST`, `cnc cp SRC CONTAINER:DEST`, and docker's tar streams:
/// `cnc cp CONTAINER:SRC -` writes a tar of SRC to stdout, `cnc cp - CONTAINER:DIR` extracts
/// a tar from stdin into DIR.
struct ContainerCopy: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cp", abstract: "Copy files between a container and the local filesystem.",
        discussion: "EXAMPLES\n  cnc cp web:/etc/hosts ./hosts\n  cnc cp ./config.json web:/etc/app/\n  cnc cp web:/var/log - > logs.tar")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Archive mode (always on: uid/gid and modes are kept).") var archive = false
    @Flag(name: [.customShort("L"), .long], help: "Always follow symbolic links in SRC_PATH (the source itself).") var followLink = false
    @Argument var source: String
    @Argument var destination: String

    static func split(_ s: String) -> (String, String)? {
        guard !s.hasPrefix("/"), !s.hasPrefix("."), let colon = s.firstIndex(of: ":") else { return nil }
        return (String(s[..<colon]), String(s[s.index(after: colon)...]))
    }

    func run() throws {
        let r = try global.runtime()
        switch (Self.split(source), Self.split(destination)) {
        case (let (ref, path)?, nil) where destination == "-":
            try copyOutAsTar(r, try r.container(ref), path)
        case (let (ref, path)?, nil):
            try r.copy(from: try r.container(ref), path: path, toHost: destination, followLink: followLink)
        case (nil, let (ref, path)?) where source == "-":
            try copyInFromTar(r, try r.container(ref), path)
        case (nil, let (ref, path)?):
            try r.copy(fromHost: source, to: try r.container(ref), path: path, followLink: followLink)
        default:
            throw CNCError(.invalidArgument, "copying between containers or between local paths is not supported: one side must be CONTAINER:PATH")
        }
    }

    /// Through a private temp directory: the safe copy out, then tar writes it to stdout with
    /// owners, modes and times.
    func copyOutAsTar(_ r: Runtime, _ c: Container, _ path: String) throws {
        let tmp = try FileStream.createTemporaryDirectory(in: "/tmp", prefix: "cnc-cp-")
        defer { try? FileSystem.removeTree(tmp) }
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let name = FileSystem.baseName(trimmed).isEmpty ? "root" : FileSystem.baseName(trimmed)
        try r.copy(from: c, path: path, toHost: tmp + "/" + name, followLink: followLink)
        var opts = Spawn.Options()
        opts.fdMap = [-1, 1, 2]
        let pid = try Spawn.spawn("/bin/tar", arguments: ["tar", "--numeric-owner", "-C", tmp, "-cf", "-", name],
                                  environment: ["PATH=/usr/bin:/bin", "LC_ALL=C"], options: opts)
        let end = try Spawn.wait(pid)
        guard end == .exited(0) else { throw CNCError(.system, "tar of \(path) failed (status \(end.shellStatus))") }
    }

    /// The tar on stdin is unpacked by the hardened layer unpacker into a private temp
    /// directory (no "..", no writes through links, size limits), then each top-level entry is
    /// copied in as `cnc cp` copies any host path: resolved inside the container's root.
    func copyInFromTar(_ r: Runtime, _ c: Container, _ path: String) throws {
        let tmp = try FileStream.createTemporaryDirectory(in: "/tmp", prefix: "cnc-cp-")
        defer { try? FileSystem.removeTree(tmp) }
        var policy = UnpackPolicy()
        policy.devices = .drop
        _ = try LayerUnpacker.unpack(from: FileStream.standardInput(), into: tmp, layer: "the tar on stdin", policy: policy)
        for entry in try FileSystem.listDirectory(tmp) {
            try r.copy(fromHost: tmp + "/" + entry, to: c, path: path.hasSuffix("/") ? path + entry : path + "/" + entry)
        }
    }
}
