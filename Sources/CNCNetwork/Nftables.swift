import CNCCore
import CNftables
import Foundation
import Synchronization

/// An in-process libnftables context: nftables commands (the `nft` language) run without
/// exec, each buffer as one atomic transaction. Not thread-safe in C, hence the mutex.
public final class Nftables: Sendable {
    private let ctx: Mutex<OpaquePointer?>

    public init() throws {
        guard let c = nft_ctx_new(0) else {
            throw CNCError(.system, "failed to create an nftables context (libnftables)")
        }
        nft_ctx_buffer_output(c)
        nft_ctx_buffer_error(c)
        ctx = Mutex(c)
    }

    deinit {
        ctx.withLock { c in
            if let p = c { nft_ctx_free(p) }
            c = nil
        }
    }

    /// Runs `commands` as one transaction; returns what nft printed. `what` names the
    /// operation in errors ("failed to <what>: <nft's message>").
    @discardableResult
    public func run(_ commands: String, what: String, json: Bool = false) throws -> String {
        try ctx.withLock { c -> String in
            guard let c else { throw CNCError(.internal, "nftables context closed") }
            // NFT_CTX_OUTPUT_JSON = 1 << 4
            nft_ctx_output_set_flags(c, json ? (1 << 4) : 0)
            let rc = nft_run_cmd_from_buffer(c, commands)
            let out = nft_ctx_get_output_buffer(c).map { String(cString: $0) } ?? ""
            let err = nft_ctx_get_error_buffer(c).map { String(cString: $0) } ?? ""
            if rc != 0 {
                let cause = err.split(separator: "\n").first.map(String.init) ?? "nft returned \(rc)"
                throw CNCError(.system, "failed to \(what)", cause: cause, context: ["nft": commands.count > 300 ? String(commands.prefix(300)) + "…" : commands])
            }
            return out
        }
    }

    /// Runs a listing command with JSON output and decodes it.
    public func listJSON(_ command: String, what: String) throws -> JSONValue {
        let text = try run(command, what: what, json: true)
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw CNCError.failed("parse", "nftables JSON output of \(command)", code: .system, cause: error)
        }
    }
}
