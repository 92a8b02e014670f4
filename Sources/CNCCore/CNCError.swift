/// The one error type of cnc: a code for programs, a message for people, the cause it wraps and
/// the context it happened in. Rendered as "failed to <verb> <object>: <cause>".
public struct CNCError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A stable, machine-readable class of failure.
    public enum Code: String, Sendable, Codable, CaseIterable {
        case invalidArgument = "invalid_argument"
        case invalidSpec = "invalid_spec"
        case notFound = "not_found"
        case alreadyExists = "already_exists"
        case conflict
        case permissionDenied = "permission_denied"
        case unsupported
        case system
        case io
        case network
        case integrity
        case timeout
        case cancelled
        case `internal`
    }

    public var code: Code
    /// What went wrong, e.g. "failed to write /sys/fs/cgroup/cpu/x/cpu.cfs_quota_us".
    public var message: String
    /// The lower-level error, rendered after the message.
    public var cause: String?
    /// Extra facts (path, key, container, layer digest...), printed sorted by key.
    public var context: [String: String]
    /// The errno of a failed system call, when that is what this error reports.
    public var errnoCode: Int32?

    public init(
        _ code: Code, _ message: String, cause: String? = nil, context: [String: String] = [:], errnoCode: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.context = context
        self.errnoCode = errnoCode
    }

    /// `failed to <verb> <object>: <cause>` — the shape of every operational error.
    public static func failed(
        _ verb: String, _ object: String, code: Code = .internal, cause: (any Error)? = nil,
        context: [String: String] = [:]
    ) -> CNCError {
        var code = code
        let inner = cause as? CNCError
        if let inner, code == .internal { code = inner.code }
        return CNCError(code, "failed to \(verb) \(object)", cause: cause.map(Self.render), context: context,
                        errnoCode: inner?.errnoCode)
    }

    /// Wraps `cause` with a higher-level message, keeping its code.
    public static func wrap(_ cause: any Error, _ message: String, context: [String: String] = [:]) -> CNCError {
        let inner = cause as? CNCError
        return CNCError(inner?.code ?? .internal, message, cause: render(cause), context: context, errnoCode: inner?.errnoCode)
    }

    public var description: String {
        var text = message
        if let cause, !cause.isEmpty { text += ": " + cause }
        if !context.isEmpty {
            text += " (" + context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
        }
        return text
    }

    private static func render(_ error: any Error) -> String {
        if let e = error as? CNCError { return e.description }
        return String(describing: error)
    }
}

extension CNCError {
    /// A command's exit status for this error: 1 for an error in what the user asked (bad
    /// spec, unknown image...), 125 for the engine.
    public var exitStatus: Int32 {
        switch code {
        case .invalidArgument, .invalidSpec, .notFound, .alreadyExists, .conflict: 1
        default: 125
        }
    }
}
