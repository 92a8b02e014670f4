/// One `RUN --mount=type=cache|bind|tmpfs|secret|ssh,...` (Dockerfile 1.x). Values are kept as
/// written: BuildKit substitutes them with the stage's variables when the step runs.
public struct RunMount: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case bind, cache, tmpfs, secret, ssh }
    public enum Sharing: String, Sendable { case shared, `private`, locked }

    public var type: Kind
    public var target: String?
    public var source: String?
    /// A stage name, stage index or image (bind and cache).
    public var from: String?
    public var readOnly: Bool
    public var id: String?
    public var sharing: Sharing
    public var mode: String?
    public var uid: String?
    public var gid: String?
    public var size: String?
    public var required: Bool
    /// `env=NAME` (secret): the secret is exposed as that variable.
    public var env: String?

    static let keys: Set<String> = [
        "type", "target", "dst", "destination", "source", "src", "from", "ro", "readonly", "rw", "readwrite",
        "id", "sharing", "mode", "uid", "gid", "size", "required", "env",
    ]

    static func parse(_ text: String) throws(InstructionParser.Failure) -> RunMount {
        let fields = try csvFields(text)
        var kind = Kind.bind
        for f in fields where f.lowercased().hasPrefix("type=") {
            let v = String(f.dropFirst(5)).lowercased()
            guard let k = Kind(rawValue: v) else { throw InstructionParser.Failure(message: "unsupported mount type \"\(v)\"") }
            kind = k
        }
        var m = RunMount(type: kind, readOnly: kind == .bind || kind == .secret || kind == .ssh, sharing: .shared, required: false)
        for field in fields {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0].lowercased()
            let value = parts.count == 2 ? parts[1] : nil
            guard keys.contains(key) else { throw InstructionParser.Failure(message: "unexpected key '\(key)' in '\(field)'") }
            func needValue() throws(InstructionParser.Failure) -> String {
                guard let value else { throw InstructionParser.Failure(message: "invalid field '\(field)' must be a key=value pair") }
                return value
            }
            func flag() throws(InstructionParser.Failure) -> Bool {
                guard let value else { return true }
                switch value.lowercased() {
                case "true", "1": return true
                case "false", "0": return false
                default: throw InstructionParser.Failure(message: "invalid value for \(key): \(value)")
                }
            }
            switch key {
            case "type": continue
            case "target", "dst", "destination": m.target = try needValue()
            case "source", "src": m.source = try needValue()
            case "from": m.from = try needValue()
            case "ro", "readonly": m.readOnly = try flag()
            case "rw", "readwrite": m.readOnly = !(try flag())
            case "id": m.id = try needValue()
            case "sharing":
                let v = try needValue()
                guard let s = Sharing(rawValue: v.lowercased()) else { throw InstructionParser.Failure(message: "unsupported sharing value \"\(v)\"") }
                m.sharing = s
            case "mode": m.mode = try needValue()
            case "uid": m.uid = try needValue()
            case "gid": m.gid = try needValue()
            case "size":
                guard kind == .tmpfs else { throw InstructionParser.Failure(message: "unexpected key 'size' for mount type \(kind.rawValue)") }
                m.size = try needValue()
            case "required": m.required = try flag()
            case "env": m.env = try needValue()
            default: continue
            }
        }
        switch kind {
        case .secret, .ssh:
            if m.id == nil, let t = m.target { m.id = t.split(separator: "/").last.map(String.init) }
            if kind == .ssh, m.id == nil { m.id = "default" }
            if m.target == nil, m.env == nil {
                guard kind == .ssh || m.id != nil else { throw InstructionParser.Failure(message: "secret mount needs an id or a target") }
                m.target = kind == .secret ? "/run/secrets/\(m.id ?? "")" : "/run/buildkit/ssh_agent.0"
            }
        case .bind, .cache, .tmpfs:
            guard let t = m.target, !t.isEmpty else { throw InstructionParser.Failure(message: "mount type \(kind.rawValue) requires a target") }
        }
        return m
    }

    /// encoding/csv's fields of one record: commas separate, double quotes group.
    static func csvFields(_ text: String) throws(InstructionParser.Failure) -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" { current.append("\""); chars.removeFirst() } else { inQuotes = false }
                } else { current.append(c) }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        guard !inQuotes else { throw InstructionParser.Failure(message: "extraneous or missing \" in quoted-field") }
        fields.append(current)
        return fields.filter { !$0.isEmpty }
    }
}
