/// An instruction's `--flags`, checked as BuildKit's BFlags checks them (same wording): each
/// instruction accepts its own set, a string flag needs `=value`, a bool flag takes nothing or
/// `=true|false`, only the repeatable ones (`--mount`, `--exclude`) may appear twice.
struct FlagSet {
    enum Kind { case bool, string, strings }

    static func definitions(for kind: InstructionKind) -> [String: Kind] {
        switch kind {
        case .from: ["platform": .string]
        case .run: ["mount": .strings, "network": .string, "security": .string]
        case .copy: ["from": .string, "chown": .string, "chmod": .string, "link": .bool, "parents": .bool, "exclude": .strings]
        case .add: ["chown": .string, "chmod": .string, "link": .bool, "keep-git-dir": .bool, "checksum": .string, "exclude": .strings]
        case .healthcheck: ["interval": .string, "timeout": .string, "start-period": .string, "start-interval": .string, "retries": .string]
        default: [:]
        }
    }

    private(set) var flags: [InstructionFlag] = []

    static func parse(_ words: [String], for kind: InstructionKind) throws(InstructionParser.Failure) -> FlagSet {
        let defs = definitions(for: kind)
        var set = FlagSet()
        for word in words {
            guard word.hasPrefix("--") else { throw InstructionParser.Failure(message: "arg should start with -- : \(word)") }
            var name = String(word.dropFirst(2))
            var value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let type = defs[name] else { throw InstructionParser.Failure(message: "unknown flag: \(name)") }
            if type != .strings, set.flags.contains(where: { $0.name == name }) {
                throw InstructionParser.Failure(message: "duplicate flag specified: \(name)")
            }
            switch type {
            case .bool:
                if let v = value {
                    guard !v.isEmpty else { throw InstructionParser.Failure(message: "missing a value on flag: \(name)") }
                    guard ["true", "false"].contains(v.lowercased()) else {
                        throw InstructionParser.Failure(message: "expecting boolean value for flag \(name), not: \(v)")
                    }
                    value = v.lowercased()
                }
            case .string, .strings:
                guard value != nil else { throw InstructionParser.Failure(message: "missing a value on flag: \(name)") }
            }
            set.flags.append(InstructionFlag(name: name, value: value))
        }
        return set
    }

    func string(_ name: String) -> String? { flags.last { $0.name == name }?.value }
    func all(_ name: String) -> [String] { flags.filter { $0.name == name }.compactMap(\.value) }
    func bool(_ name: String) -> Bool {
        guard let f = flags.last(where: { $0.name == name }) else { return false }
        return f.value == nil || f.value == "true"
    }
}
