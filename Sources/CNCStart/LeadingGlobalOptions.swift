/// The global options given before the verb (`cnc --root DIR --log-level L run ...`, Docker's
/// place for them): one reading for the start path and the full CLI. Reading stops at the
/// first argument that is not one of them.
public struct LeadingGlobalOptions {
    public static let names: Set<String> = ["--root", "--log-level", "--cgroup-manager"]
    /// Each option with its value, in order (`--root DIR` or `--root=DIR`).
    public private(set) var values: [(name: String, value: String)] = []
    /// The arguments after them, the verb first.
    public private(set) var rest: [String]
    /// The option that ended the arguments without its value, if any.
    public private(set) var missingValue: String?

    public init(_ args: [String]) {
        var rest = args[...]
        while let first = rest.first, first.hasPrefix("--") {
            let parts = first.split(separator: "=", maxSplits: 1).map(String.init)
            guard Self.names.contains(parts[0]) else { break }
            if parts.count == 2 {
                values.append((parts[0], parts[1]))
                rest = rest.dropFirst()
            } else if rest.count >= 2 {
                values.append((parts[0], rest[rest.startIndex + 1]))
                rest = rest.dropFirst(2)
            } else {
                missingValue = parts[0]
                rest = rest.dropFirst()
                break
            }
        }
        self.rest = Array(rest)
    }

    /// The value given last for `name`.
    public func value(_ name: String) -> String? { values.last { $0.name == name }?.value }
}
