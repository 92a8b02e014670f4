import CNCBuild
import CNCCore

/// What one `cnc build` asks for, as typed values (the CLI parses its flags into this; cncapply's
/// `build:` is meant to fill the same).
public struct BuildRequest: Sendable {
    /// The context directory (read in place).
    public var context: String
    /// The Dockerfile, parsed (its `path` names it in errors).
    public var dockerfile: Dockerfile
    public var arguments: BuildArguments
    public var target: String?
    public var tags: [ImageReference] = []
    /// `--label`: over the final image's labels.
    public var labels: [String: String] = [:]
    public var noCache = false
    /// RUN's network when the instruction gives none (`--network`): none unless asked.
    public var network: RunNetwork = .none
    /// `.dockerignore` patterns (the context's, or `<Dockerfile>.dockerignore`).
    public var ignore: DockerIgnore

    public init(context: String, dockerfile: Dockerfile, arguments: BuildArguments = BuildArguments(), ignore: DockerIgnore = DockerIgnore(patterns: [])) {
        self.context = context
        self.dockerfile = dockerfile
        self.arguments = arguments
        self.ignore = ignore
    }
}
