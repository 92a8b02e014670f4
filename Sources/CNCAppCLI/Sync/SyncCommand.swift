import ArgumentParser
import CNCCore
import CNCGitOps
import CNCSystem
import Foundation

/// `cncapply sync`: follow a git branch and keep every app under `--path` applied.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Follow a git repository and apply every app spec under --path (GitOps agent).",
        discussion: """
        Each cycle fetches the branch, compiles each app at the new commit and applies it (one apply at a time per
        root). A spec that does not compile changes nothing; a failed apply rolls back to the last good revision
        and the app stays pinned until a new commit arrives. At an unchanged commit, a non-empty plan is drift:
        reported, and converged with --self-heal. Apps gone from the repository are removed only with --prune.
        --once exits 0 when no app failed, 1 on a spec error, failure or rollback.

        EXAMPLES
          cncapply sync --repo https://git.example.com/ops.git --path apps --interval 60s
          cncapply sync --repo /srv/ops --once -o json
          cncapply sync --repo /srv/ops --webhook 127.0.0.1:9099 --webhook-secret-file /etc/cnc/hook.secret --status-addr 127.0.0.1:9100
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var registry: PullFlags

    @Option(help: ArgumentHelp("The git repository: a URL git understands, file://, or a local path.", valueName: "url|path"))
    var repo: String
    @Option(help: ArgumentHelp("The branch to follow.", valueName: "name")) var branch = "main"
    @Option(help: ArgumentHelp("The apps' directory in the repository: each *.yaml/*.yml in it, and each directory with a compose.yaml/app.yaml/compose.yml, is an app.", valueName: "dir"))
    var path = "."
    @Option(help: ArgumentHelp("Time between cycles.", valueName: "duration")) var interval = "60s"
    @Option(help: ArgumentHelp("Serve the push webhook (POST /hooks/git) on this address.", valueName: "addr:port"))
    var webhook: String?
    @Option(name: .customLong("webhook-secret-file"), help: ArgumentHelp("The webhook's shared secret (GitHub/Gitea HMAC, GitLab token).", valueName: "file"))
    var webhookSecretFile: String?
    @Flag(name: .customLong("self-heal"), help: "Converge drift (a non-empty plan at an unchanged commit); without it drift is only reported.")
    var selfHeal = false
    @Flag(help: "Remove apps gone from the repository (as down) and services gone from a spec; without it they are reported as orphaned.")
    var prune = false
    @Option(help: ArgumentHelp("POST a JSON event here on rollback, failure and drift (http:// only).", valueName: "url"))
    var notify: String?
    @Option(name: .customLong("status-addr"), help: ArgumentHelp("Serve /healthz, /status (JSON) and /metrics (Prometheus) on this address.", valueName: "addr:port"))
    var statusAddr: String?
    @Flag(help: "Run one cycle and exit (0: no app failed; 1: a spec error, failure or rollback).")
    var once = false
    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text, or json (one object per cycle, one per line).")
    var output: ReportFormat = .text

    func validate() throws {
        if webhook != nil && webhookSecretFile == nil { throw ValidationError("--webhook needs --webhook-secret-file") }
        if webhook == nil && webhookSecretFile != nil { throw ValidationError("--webhook-secret-file needs --webhook") }
        if once && webhook != nil { throw ValidationError("--once and --webhook cannot be combined") }
        if branch.isEmpty || branch.hasPrefix("-") || branch.contains("..") || branch.contains(" ") {
            throw ValidationError("invalid branch name \"\(branch)\"")
        }
        let d = try? CNCDuration(parsing: interval)
        guard let d, d.nanoseconds >= 1_000_000_000 else { throw ValidationError("invalid --interval \"\(interval)\": a duration of at least 1s, such as 30s or 5m") }
        for (flag, value) in [("--webhook", webhook), ("--status-addr", statusAddr)] {
            if let value, Self.address(value) == nil { throw ValidationError("invalid \(flag) \"\(value)\": expected ADDR:PORT, such as 127.0.0.1:9099") }
        }
        if let notify { _ = try Notifier(url: notify) }
    }

    /// `ADDR:PORT`, IPv4.
    static func address(_ text: String) -> (IPv4Address, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let ip = IPv4Address(String(text[..<colon])),
              let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        return (ip, port)
    }

    func run() async throws {
        let secret = try webhookSecretFile.map { try Webhook.readSecret(try FileSystem.readBytes($0), path: $0) }
        let agent = SyncAgent(
            global: global, registry: registry,
            options: SyncAgent.Options(repo: repo, branch: branch, path: path, selfHeal: selfHeal, prune: prune,
                                       json: output == .json, interval: try CNCDuration(parsing: interval)),
            notifier: try notify.map(Notifier.init(url:)))
        let status = try await agent.run(once: once, webhook: webhook.flatMap(Self.address), secret: secret,
                                         statusAddress: statusAddr.flatMap(Self.address))
        if status != 0 { throw ExitCode(status) }
    }
}
