import CNCCore
import CNCSystem
import Foundation

/// Runs nftables commands (the `nft` language) as one atomic transaction and returns what nft
/// printed. Two implementations: libnftables in-process (CNCNftables' `Nftables`, for the
/// executables that link it) and the `cnc-net nft` helper (`NftablesHelper`), which the static
/// `cnc` front uses because a fully static executable cannot link libnftables. Errors read
/// "failed to <what>" with nft's first error line as the cause, whichever runs the commands.
public protocol NftablesRunner: Sendable {
    @discardableResult
    func run(_ commands: String, what: String, json: Bool) throws -> String
}

extension NftablesRunner {
    @discardableResult
    public func run(_ commands: String, what: String) throws -> String { try run(commands, what: what, json: false) }

    /// Runs a listing command with JSON output and decodes it.
    public func listJSON(_ command: String, what: String) throws -> JSONValue {
        let text = try run(command, what: what, json: true)
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw CNCError.failed("parse", "nftables JSON output of \(command)", code: .system, cause: error)
        }
    }

    /// The error for a failed transaction, the same from both implementations.
    public static func failure(_ what: String, cause: String, commands: String) -> CNCError {
        CNCError(.system, "failed to \(what)", cause: cause,
                 context: ["nft": commands.count > 300 ? String(commands.prefix(300)) + "…" : commands])
    }
}

/// nftables through `cnc-net nft [--json]` beside this executable (commands on stdin, nft's
/// output on stdout, its first error line on stderr). A plain start on an existing bridge needs
/// no firewall change, so the static front spawns it only to publish ports, to make a network
/// or its rules, or to release what a dead container published.
public struct NftablesHelper: NftablesRunner {
    public static let executable = "cnc-net"
    public let path: String

    public init(path: String = Host.executableDirectory + "/" + NftablesHelper.executable) { self.path = path }

    @discardableResult
    public func run(_ commands: String, what: String, json: Bool) throws -> String {
        Trace.mark("nft helper: \(what)")
        let r: Spawn.Captured
        do {
            r = try Spawn.capture(path, ["nft"] + (json ? ["--json"] : []), environment: [], stdin: Array(commands.utf8))
        } catch {
            throw Self.failure(what, cause: "cannot run \(path): \(error)", commands: commands)
        }
        guard r.termination == .exited(0) else {
            let line = String(decoding: r.stderr, as: UTF8.self).split(separator: "\n").first.map(String.init)
            throw Self.failure(what, cause: line ?? "\(path) nft: exit \(r.termination.shellStatus)", commands: commands)
        }
        return String(decoding: r.stdout, as: UTF8.self)
    }
}
