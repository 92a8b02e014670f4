import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCRuntime
import CNCSystem

/// `cnc exec`: run a command in a running container (every namespace and the cgroup).
struct ContainerExec: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "Execute a command in a running container.",
        discussion: "EXAMPLES\n  cnc exec web ls /\n  cnc exec -it web sh\n  cnc exec -e DEBUG=1 -w /tmp web env\n  cnc exec -d web touch /tmp/ready\n  cnc exec --privileged web ip link set eth0 mtu 1400")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("i"), .long], help: "Keep STDIN open.") var interactive = false
    @Flag(name: [.customShort("t"), .long], help: "Allocate a pseudo-TTY.") var tty = false
    @Flag(name: [.customShort("d"), .long], help: "Detached mode: run command in the background.") var detach = false
    @Option(name: [.customShort("e"), .long], help: "Set environment variables.") var env: [String] = []
    @Option(name: [.customShort("u"), .long], help: "Username or UID.") var user: String?
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Flag(name: .long, help: "Give extended privileges to the command.") var privileged = false
    @Argument(completion: .containerNames) var container: String
    @Argument(parsing: .captureForPassthrough) var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("Missing expected argument '<command> ...'") }
    }

    func run() throws {
        let r = try global.runtime()
        var req = ExecRequest(argv: command)
        req.env = env
        req.user = user
        req.workdir = workdir
        req.tty = tty
        req.interactive = interactive
        req.detach = detach
        req.privileged = privileged
        do {
            throw ExitCode(try r.exec(container, req))
        } catch let f as Runtime.StartFailure {
            // docker's daemon: an exec that cannot start is 126 (127 when its command is not
            // found), reported in the words of its OCI runtime's failure.
            writeStderr("Error: OCI runtime exec failed: exec failed: unable to start container process: \(f.message): unknown\n")
            throw ExitCode(f.status == 127 ? 127 : 126)
        } catch let e as CNCError {
            // Refusals before anything runs (no such container, not running, no command) are
            // Docker's status 1; 126/127 stay for a command that cannot run (StartFailure).
            writeStderr("Error: \(e.description)\n")
            throw ExitCode([.notFound, .conflict, .invalidArgument].contains(e.code) ? 1 : 126)
        }
    }
}
