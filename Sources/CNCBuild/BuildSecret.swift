import CNCCore

/// One `--secret id=ID[,src=FILE|,env=VAR][,type=file|env]` (buildx's syntax): where a build
/// secret's bytes come from. Only RUN steps that mount it see it; it never reaches a layer,
/// the history, the cache key or the image config.
public struct BuildSecret: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case file(String)
        case env(String)
    }

    public var id: String
    public var source: Source

    public init(id: String, source: Source) {
        self.id = id
        self.source = source
    }

    /// buildx's parser: `type` is file or env; `src`/`source` names the file, `env` the
    /// variable; with neither, the variable named ID when it is set, else the file ID.
    public static func parse(_ text: String, environment: (String) -> String?) throws(CNCError) -> BuildSecret {
        var type: String?
        var id: String?
        var file: String?
        var env: String?
        let fields: [String]
        do { fields = try RunMount.csvFields(text) } catch { throw bad(error.message) }
        for field in fields {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { throw bad("invalid field '\(field)' must be a key=value pair") }
            switch parts[0].lowercased() {
            case "type":
                guard parts[1] == "file" || parts[1] == "env" else { throw bad("unsupported secret type \"\(parts[1])\"") }
                type = parts[1]
            case "id": id = parts[1]
            case "source", "src": file = parts[1]
            case "env": env = parts[1]
            default: throw bad("unexpected key '\(parts[0])' in '\(field)'")
            }
        }
        if type == "env", env == nil { env = file; file = nil }
        guard let id = id ?? file.map({ String($0.split(separator: "/").last ?? "") }) ?? env, !id.isEmpty else {
            throw bad("secret ID missing from spec")
        }
        if let env { return BuildSecret(id: id, source: .env(env)) }
        if let file { return BuildSecret(id: id, source: .file(file)) }
        if type != "file", environment(id) != nil { return BuildSecret(id: id, source: .env(id)) }
        return BuildSecret(id: id, source: .file(id))
    }

    static func bad(_ why: String) -> CNCError { CNCError(.invalidArgument, "failed to parse secret: \(why)") }
}
