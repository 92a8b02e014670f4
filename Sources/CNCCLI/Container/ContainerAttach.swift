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
        switch outcome {
        case .exited(let code):
            if code != 0 { throw ExitCode(code) }
        case .detached:
            // docker's CLI returns moby/term's EscapeError here and prints it as it prints any
            // error (its own words, no prefix), exit 1; the container runs on. (`run -it` and
            // `start -ai` treat the same keys as success, silently.)
            writeStderr("read escape sequence\n")
            throw ExitCode(1)
        }
    }
}
