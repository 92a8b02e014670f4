import ArgumentParser
import CNCAppCLI
import CNCRuntime
import CNCSystem

/// `cnc attach`: our terminal (or stdio) to a running container's main process, through its
/// monitor's attach socket.
struct ContainerAttach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Attach local standard input, output, and error streams to a running container.",
        discussion: "EXAMPLES\n  cnc attach box\n  cnc attach --detach-keys ctrl-x,x box\n  cnc attach --no-stdin --sig-proxy=false web")

    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Override the key sequence for detaching a container (default ctrl-p,ctrl-q).") var detachKeys: String?
    @Flag(name: .customLong("no-stdin"), help: "Do not attach STDIN.") var noStdin = false
    @Flag(name: .long, inversion: .prefixedNo, help: "Proxy all received signals to the process (--sig-proxy=false too).") var sigProxy = true
    @Argument(help: "The container.", completion: .containerNames) var container: String

    func run() throws {
        let outcome = try reportingErrors { () -> AttachOutcome in
            let r = try global.runtime()
            let c = try r.attachable(container)
            let keys = try detachKeys.flatMap { $0.isEmpty ? nil : try DetachKeys.parse($0) } ?? DetachKeys.defaultSequence
            // Without a terminal, Ctrl-C and kill reach the container (Docker's sig-proxy).
            if sigProxy && !c.config.tty {
                Processes.forwardSignals(to: 0)
                Processes.forwardSignals(to: c.state.pid)
            }
            return try r.attach(c, options: AttachOptions(stdin: !noStdin && c.config.openStdin, detachKeys: keys))
        }
        // Detaching leaves the container running and says nothing; an exit passes its code on.
        if case .exited(let code) = outcome, code != 0 { throw ExitCode(code) }
    }
}
