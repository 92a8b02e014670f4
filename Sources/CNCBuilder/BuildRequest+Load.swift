import CNCBuild
import CNCCore
import CNCSystem

/// Where a build's Dockerfile comes from: a file (`display` names it in errors with their line,
/// `given` as the user wrote it when it is missing), inline text (Compose's
/// `dockerfile_inline`) or standard input (`-f -`).
public enum DockerfileSource: Sendable {
    case file(path: String, display: String, given: String)
    case text(String, display: String)
}

extension BuildRequest {
    /// The one way a build is prepared, for `cnc build` and cncapply's `build:` alike: the
    /// context must be a directory, the Dockerfile is read and parsed (errors name its
    /// display path and line), and the `.dockerignore` (or `<Dockerfile>.dockerignore`) is read.
    public static func load(context: String, dockerfile source: DockerfileSource, buildArgs: [String: String] = [:]) throws -> BuildRequest {
        guard FileSystem.isDirectory(context) else {
            throw CNCError(.notFound, "unable to prepare context: path \"\(context)\" not found")
        }
        let dockerfile: Dockerfile
        var dockerfilePath: String?
        var bytes: [UInt8]
        switch source {
        case .file(let path, let display, let given):
            guard FileSystem.exists(path) else {
                throw CNCError(.notFound, "failed to read dockerfile: open \(given): no such file or directory")
            }
            bytes = try FileSystem.readBytes(path)
            dockerfile = try DockerfileParser.parse(bytes, path: display)
            dockerfilePath = path
        case .text(let text, let display):
            bytes = Array(text.utf8)
            dockerfile = try DockerfileParser.parse(bytes, path: display)
        }
        let ignoreFile = DockerIgnore.file(context: context, dockerfile: dockerfilePath, exists: FileSystem.exists)
        let ignore = try ignoreFile.map { DockerIgnore(text: try FileSystem.readText($0)) } ?? DockerIgnore(patterns: [])
        var request = BuildRequest(context: context, dockerfile: dockerfile, arguments: BuildArguments(values: buildArgs), ignore: ignore)
        request.dockerfileDigest = BuildCache.key(parent: "", [String(decoding: bytes, as: UTF8.self)])
        return request
    }

    /// The lint findings every build prints as warnings (`--check` makes them the result).
    public var findings: [LintFinding] { Lint.check(dockerfile, arguments: arguments, target: target) }

    /// The parser's warnings and the lint findings, as `cnc build` prints them on stderr.
    public var warningLines: [String] {
        dockerfile.warnings.map { "WARNING: \(dockerfile.path):\($0.line): \($0.message)" } + findings.map { "WARNING: \($0.description)" }
    }

    /// `# check=error=true` makes findings fatal, as BuildKit does.
    public func checkDirectiveFailure(_ findings: [LintFinding]) -> CNCError? {
        guard dockerfile.checkDirective.error, !findings.isEmpty else { return nil }
        return CNCError(.invalidArgument, "lint violation found for rules: \(Set(findings.map(\.rule)).sorted().joined(separator: ", "))")
    }

    /// Build args given but never declared by an ARG the target uses (docker's warning).
    public var unconsumedArgsWarning: String? {
        guard let unused = try? BuildGraph(dockerfile, arguments: arguments).unconsumedBuildArgs(target: target), !unused.isEmpty else { return nil }
        return "[Warning] One or more build-args [\(unused.joined(separator: " "))] were not consumed"
    }
}
