import CNCCore

/// One problem (or warning) found in a spec, rendered the way compilers do:
/// `app.yaml:12:7: services.web.mem_limit: "512X" is not a size (examples: 512m, 1g, 1.5GiB)`.
public struct SpecDiagnostic: Hashable, Sendable, CustomStringConvertible, Comparable {
    public enum Severity: String, Sendable, Hashable { case error, warning }

    public var mark: SourceMark?
    /// The key path, e.g. `services.web.ports[1]`; empty for the document itself.
    public var path: String
    public var message: String
    public var severity: Severity
    /// Set on errors of variable interpolation (the reader stays quiet about such scalars).
    var isInterpolationFailure = false

    public init(_ mark: SourceMark?, _ path: String, _ message: String, severity: Severity = .error) {
        self.mark = mark
        self.path = path
        self.message = message
        self.severity = severity
    }

    public var description: String {
        var s = ""
        if let mark { s += "\(mark): " }
        if severity == .warning { s += "warning: " }
        if !path.isEmpty { s += "\(path): " }
        return s + message
    }

    /// File order, then line, column, path: the order errors are printed in.
    public static func < (a: SpecDiagnostic, b: SpecDiagnostic) -> Bool {
        let ka = (a.mark?.file ?? "", a.mark?.line ?? 0, a.mark?.column ?? 0)
        let kb = (b.mark?.file ?? "", b.mark?.line ?? 0, b.mark?.column ?? 0)
        if ka != kb { return ka < kb }
        if a.path != b.path { return a.path < b.path }
        return a.message < b.message
    }
}

/// Every problem of a spec at once, thrown by `SpecLoader.load` when there is at least one error.
public struct SpecErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [SpecDiagnostic]

    public init(_ diagnostics: [SpecDiagnostic]) { self.diagnostics = diagnostics }

    public var errors: [SpecDiagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

    /// The same problems as one CNCError (code invalid_spec), for callers that want one error type.
    public var cncError: CNCError {
        let n = errors.count
        return CNCError(.invalidSpec, "invalid app spec (\(n) error\(n == 1 ? "" : "s"))", cause: description)
    }
}
