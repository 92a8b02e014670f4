import CNCCore
import CNCNetwork
import CNCSystem
import CNftables
import Synchronization

/// An in-process libnftables context: nftables commands (the `nft` language) run without
/// exec, each buffer as one atomic transaction. Not thread-safe in C, hence the mutex.
public final class Nftables: NftablesRunner {
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
    public func run(_ commands: String, what: String, json: Bool) throws -> String {
        try ctx.withLock { c -> String in
            guard let c else { throw CNCError(.internal, "nftables context closed") }
            // NFT_CTX_OUTPUT_JSON = 1 << 4
            nft_ctx_output_set_flags(c, json ? (1 << 4) : 0)
            let rc = nft_run_cmd_from_buffer(c, commands)
            let out = nft_ctx_get_output_buffer(c).map { String(cString: $0) } ?? ""
            let err = nft_ctx_get_error_buffer(c).map { String(cString: $0) } ?? ""
            if rc != 0 {
                throw Self.failure(what, cause: err.split(separator: "\n").first.map(String.init) ?? "nft returned \(rc)", commands: commands)
            }
            return out
        }
    }
}

extension NetworkManager {
    /// A manager whose firewall work runs in this process (libnftables): for every executable
    /// but the static front.
    public static func inProcess(root: String) -> NetworkManager {
        NetworkManager(root: root, nftables: { try Nftables() })
    }
}

/// `cnc-net nft [--json]`: runs the nftables commands on stdin as one transaction for a process
/// that cannot link libnftables (NftablesHelper); nft's output on stdout, the first line of its
/// error on stderr and exit 1 on failure.
public enum NftablesService {
    public static func main(_ args: [String]) -> Never {
        guard args.first == "nft", args.count <= 2, args.count == 1 || args[1] == "--json" else {
            writeStderr("usage: cnc-net nft [--json] < commands (a helper of the cnc front)\n")
            exitProcess(2)
        }
        do {
            let commands = String(decoding: FD.readAll(0), as: UTF8.self)
            let out = try Nftables().run(commands, what: "run nftables commands", json: args.count == 2)
            try FileSystem.writeAll(1, Array(out.utf8), path: "stdout")
            exitProcess(0)
        } catch let e as CNCError {
            writeStderr((e.cause ?? e.description) + "\n")
            exitProcess(1)
        } catch {
            writeStderr("\(error)\n")
            exitProcess(1)
        }
    }
}
