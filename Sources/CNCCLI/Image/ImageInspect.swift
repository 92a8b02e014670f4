import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCImage
import CNCOCI

/// `cnc image inspect`: Docker's image JSON (Id, RepoTags, Config, RootFS...), plus the manifest digest.
struct ImageInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Display detailed information on one or more images.",
        discussion: "EXAMPLES\n  cnc image inspect busybox\n  cnc image inspect --format '{{.Id}}' busybox")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Image names or IDs.", completion: .imageNames)
    var images: [String]

    @Option(name: [.short, .long], help: ArgumentHelp("Format output with a Go template, e.g. '{{.Config.Cmd}}'.", valueName: "string"))
    var format: String?

    struct Inspect: Encodable {
        var Id: String
        var RepoTags: [String]
        var RepoDigests: [String]
        var Parent = ""
        var Comment: String
        var Created: String
        var Author: String
        var Architecture: String
        var Os: String
        var Variant: String?
        var Size: Int64
        var Config: ConfigView?
        var RootFS: RootFSView
        var Metadata: [String: String]
        var ManifestDigest: String
        var ManifestMediaType: String
    }

    /// Docker's container.Config as its image inspect shows it: the fields Docker never omits are
    /// there even when unset (null, "" or false), so `{{json .Config.Entrypoint}}` prints null as
    /// docker does; ExposedPorts, Healthcheck, ArgsEscaped, StopSignal and Shell (omitempty in
    /// Docker) only when set.
    struct ConfigView: Encodable {
        var c: ContainerConfig

        enum Key: String, CodingKey {
            case Hostname, Domainname, User, AttachStdin, AttachStdout, AttachStderr, ExposedPorts, Tty, OpenStdin, StdinOnce
            case Env, Cmd, Healthcheck, ArgsEscaped, Image, Volumes, WorkingDir, Entrypoint, OnBuild, Labels, StopSignal, Shell
        }

        func encode(to encoder: any Encoder) throws {
            var o = encoder.container(keyedBy: Key.self)
            for k in [Key.Hostname, .Domainname, .Image] { try o.encode("", forKey: k) }
            for k in [Key.AttachStdin, .AttachStdout, .AttachStderr, .Tty, .OpenStdin, .StdinOnce] { try o.encode(false, forKey: k) }
            try o.encode(c.user ?? "", forKey: .User)
            try o.encode(c.workingDir ?? "", forKey: .WorkingDir)
            try o.encodeIfPresent(c.exposedPorts, forKey: .ExposedPorts)
            try o.encodeIfPresent(c.healthcheck, forKey: .Healthcheck)
            try o.encodeIfPresent(c.argsEscaped, forKey: .ArgsEscaped)
            try o.encodeIfPresent(c.stopSignal, forKey: .StopSignal)
            try o.encodeIfPresent(c.shell, forKey: .Shell)
            try o.encode(c.env, forKey: .Env)
            try o.encode(c.cmd, forKey: .Cmd)
            try o.encode(c.volumes, forKey: .Volumes)
            try o.encode(c.entrypoint, forKey: .Entrypoint)
            try o.encode(c.onBuild, forKey: .OnBuild)
            try o.encode(c.labels, forKey: .Labels)
        }
    }

    struct RootFSView: Encodable {
        var `Type`: String
        var Layers: [String]
    }

    static func view(_ img: ResolvedImage) -> Inspect {
        Inspect(Id: img.id.description, RepoTags: img.names.map(\.familiar), RepoDigests: img.repoDigests,
                Comment: img.config.history?.last?.comment ?? "", Created: img.config.created ?? "",
                Author: img.config.author ?? "", Architecture: img.config.architecture, Os: img.config.os,
                Variant: img.config.variant, Size: img.size, Config: img.config.config.map { ConfigView(c: $0) },
                RootFS: RootFSView(Type: img.config.rootfs.type, Layers: img.diffIDs.map(\.description)),
                Metadata: [:], ManifestDigest: img.manifestDigest.description,
                ManifestMediaType: img.manifest.mediaType ?? MediaType.ociManifest)
    }

    func run() throws {
        let template = try InspectOutput.template(format)
        let store = try global.imageStore()
        var views: [Inspect] = []
        var missing: [String] = []
        for name in images {
            do { views.append(Self.view(try store.resolve(name))) } catch let e as CNCError where e.code == .notFound {
                missing.append(name)
            }
        }
        if let template {
            for v in views { print(try template.render(v)) }
        } else {
            print(try CanonicalJSON.string(views, pretty: true), terminator: "")
        }
        if !missing.isEmpty {
            throw CNCError(.notFound, missing.map { "No such image: \($0)" }.joined(separator: "\n"))
        }
    }
}
