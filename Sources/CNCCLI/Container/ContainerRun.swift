import CNCAppCLI
import ArgumentParser
import CNCCore
import CNCEngine
import CNCRuntime
import CNCSystem

/// `cnc run`: create and start a container; foreground runs exit with the workload's status.
struct ContainerRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Create and run a new container from an image.")

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("d"), .long], help: "Run container in background and print container ID.") var detach = false
    @Flag(name: .long, help: "Automatically remove the container when it exits.") var rm = false
    @OptionGroup var options: ContainerOptions

    func run() throws {
        throw ExitCode(try Self.execute(RunFlags.Invocation(flags: options.flags, detach: detach, rm: rm), engine: global.engineConfig()))
    }

    /// Creates and starts the container `inv` describes; returns the exit status of `cnc run`.
    static func execute(_ inv: RunFlags.Invocation, engine: EngineConfig) throws -> Int32 {
        let runtime = try ContainerEngine.runtime(engine)
        Trace.mark("runtime ready")
        let config: ContainerConfig
        do { config = try runtime.create(try inv.flags.makeConfig(autoRemove: inv.rm, engine: engine)) } catch let e as CNCError {
            writeStderr("cnc: \(e.description)\n")
            return 125
        }
        Trace.mark("created")
        let code = try startAndFollow(runtime, config, detach: inv.detach, interactive: inv.flags.interactive, tty: inv.flags.tty)
        Trace.mark("done")
        if inv.detach { TerminalInfo.writeStdout(config.id.rawValue + "\n") }
        return code
    }

    /// Starts `config`; in the foreground, attaches stdio and returns the workload's status.
    static func startAndFollow(_ runtime: Runtime, _ config: ContainerConfig, detach: Bool, interactive: Bool, tty: Bool) throws -> Int32 {
        var io = StartIO()
        var pty: (master: Int32, slave: Int32)?
        if tty { pty = try Terminal.openPTY(); io.pty = pty }
        if !detach {
            io.attachOut = 1
            io.attachErr = 2
            if interactive && !tty { io.stdin = 0 }
        }
        if !detach && !tty { Processes.forwardSignals(to: 0) }
        let started: StartedContainer
        do { started = try runtime.start(config.id, io: io) } catch let f as Runtime.StartFailure {
            if let pty { FD.close(pty.master); FD.close(pty.slave) }
            writeStderr("cnc: failed to start container \(config.name): \(f.message)\n")
            if config.autoRemove { try? runtime.remove(config.id.rawValue, force: true) }
            return f.status
        } catch let e as CNCError {
            if let pty { FD.close(pty.master); FD.close(pty.slave) }
            writeStderr("cnc: \(e.description)\n")
            if config.autoRemove { try? runtime.remove(config.id.rawValue, force: true) }
            return 125
        }
        if let pty { FD.close(pty.slave) }
        if detach {
            started.detach()
            if let pty { FD.close(pty.master) }
            return 0
        }
        var raw = false
        if let pty, interactive {
            if Terminal.isTerminal(0) { Terminal.copySize(from: 0, to: pty.master); raw = Terminal.makeRaw(0) }
            FD.pumpInBackground(from: 0, to: pty.master)
        }
        Trace.mark("started pid \(started.pid)")
        // sig-proxy: Ctrl-C and kill reach the workload; the CLI stays to report its status.
        if pty == nil && !detach { Processes.forwardSignals(to: started.pid) }
        let code = started.waitForExit(runtime: runtime)
        Trace.mark("exited \(code)")
        if raw { Terminal.restore() }
        if config.autoRemove { try? runtime.remove(config.id.rawValue, force: true) }
        return code
    }
}

/// `cnc create`: create a container without starting it.
struct ContainerCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new container.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Automatically remove the container when it exits.") var rm = false
    @OptionGroup var options: ContainerOptions

    func run() throws {
        _ = try Self.execute(RunFlags.Invocation(flags: options.flags, rm: rm), engine: global.engineConfig())
    }

    /// Creates the container `inv` describes and prints its ID.
    static func execute(_ inv: RunFlags.Invocation, engine: EngineConfig) throws -> Int32 {
        let c = try ContainerEngine.runtime(engine).create(try inv.flags.makeConfig(autoRemove: inv.rm, engine: engine))
        TerminalInfo.writeStdout(c.id.rawValue + "\n")
        return 0
    }
}

/// `cnc start`: start stopped containers.
struct ContainerStart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start one or more stopped containers.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("a"), .long], help: "Attach STDOUT/STDERR and forward signals.") var attach = false
    @Flag(name: [.customShort("i"), .long], help: "Attach container's STDIN.") var interactive = false
    @Argument(help: "Containers.") var containers: [String]

    func run() throws {
        let runtime = try global.runtime()
        var failed = false
        for ref in containers {
            do {
                let c = try runtime.container(ref)
                if c.state.isActive { print(ref); continue }
                if attach {
                    throw ExitCode(try ContainerRun.startAndFollow(runtime, c.config, detach: false, interactive: interactive, tty: c.config.tty))
                }
                _ = try ContainerRun.startAndFollow(runtime, c.config, detach: true, interactive: false, tty: c.config.tty)
                let after = try runtime.container(ref)
                if !after.state.isActive && after.state.exitCode >= 125 { failed = true; continue }
                print(ref)
            } catch let e as CNCError {
                writeStderr("cnc: \(e.description)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
