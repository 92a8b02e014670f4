import CNCAppCLI
import ArgumentParser
import CNCCore
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
        let runtime = try global.runtime()
        Trace.mark("runtime ready")
        let config: ContainerConfig
        do { config = try runtime.create(try options.makeConfig(autoRemove: rm, engine: global.engineConfig())) } catch let e as CNCError {
            writeStderr("cnc: \(e.description)\n")
            throw ExitCode(125)
        }
        Trace.mark("created")
        let code = try ContainerRun.startAndFollow(runtime, config, detach: detach, interactive: options.interactive, tty: options.tty)
        Trace.mark("done")
        if detach { print(config.id.rawValue) }
        throw ExitCode(code)
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
        let c = try global.runtime().create(try options.makeConfig(autoRemove: rm, engine: global.engineConfig()))
        print(c.id.rawValue)
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
