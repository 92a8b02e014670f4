import CNCBuild
import CNCCore

/// What one build asks for, as typed values: `cnc build` parses its flags into this and
/// cncapply fills it from a service's `build:` (both through `BuildRequest.load`).
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
    /// RUN's network when the instruction gives none (`--network`): the default bridge, as
    /// docker build's `default`.
    public var network: RunNetwork = .default
    /// `--add-host` (HOST:IP or HOST=IP) for RUN's /etc/hosts.
    public var extraHosts: [String] = []
    /// `--shm-size`: /dev/shm of RUN steps (bytes).
    public var shmSize: Int64?
    /// `--secret` (and Compose's `build.secrets`): each secret's bytes by id, for RUN
    /// --mount=type=secret. Never part of a cache key, a layer or the image.
    public var secrets: [String: [UInt8]] = [:]
    /// `SOURCE_DATE_EPOCH` (the build arg or the environment) or `--reproducible` (0): layer
    /// mtimes clamped to it, the created and history times set to it.
    public var sourceDateEpoch: Int64?
    /// `--pull`: pull every base image, even one the store has.
    public var pull = false
    /// A digest of the Dockerfile's text (BuildRequest.load sets it), for BuildInputsRecord.
    public var dockerfileDigest = ""
    /// `.dockerignore` patterns (the context's, or `<Dockerfile>.dockerignore`).
    public var ignore: DockerIgnore

    public init(context: String, dockerfile: Dockerfile, arguments: BuildArguments = BuildArguments(), ignore: DockerIgnore = DockerIgnore(patterns: [])) {
        self.context = context
        self.dockerfile = dockerfile
        self.arguments = arguments
        self.ignore = ignore
    }
}
