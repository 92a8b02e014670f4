import CNCCore
import CNCImageStore
import CNCRuntime
import CNCSystem

/// `cnc run` and `cnc create` once their arguments are parsed (by ArgumentParser in the full
/// CLI, or by RunFlags.parseFast on the start path): one implementation for both.
public enum ContainerLaunch {
    /// Creates and starts the container `inv` describes; returns the exit status of `cnc run`.
    /// `image` resolves the image (errors from it, like every creation error, are exit 125);
    public static func run(_ inv: RunFlags.Invocation, runtime: Runtime, image: () throws -> ImageDefaults) throws -> Int32 {
        Trace.mark("runtime ready")
        let config: ContainerConfig
        let detachKeys: [UInt8]
        do {
            detachKeys = try inv.detachKeys.flatMap { $0.isEmpty ? nil : try DetachKeys.parse($0) } ?? DetachKeys.defaultSequence
            try checkCIDFile(inv.flags.cidfile)
            let wanted = try inv.flags.makeConfig(autoRemove: inv.rm, image: image)
            // A run that will start in direct mode keeps no log: its directory can live on a tmpfs.
            let ephemeral = Runtime.runsDirect(wanted, attached: !inv.detach, proxiesSignals: inv.sigProxy)
            config = try runtime.create(wanted, startsNext: true, ephemeral: ephemeral)
            try writeCIDFile(inv.flags.cidfile, config, runtime)
        } catch let e as CNCError {
            writeStderr("Error: \(e.description)\n")
            return 125
        }
        Trace.mark("created")
        let code = try startAndFollow(runtime, config, detach: inv.detach, interactive: inv.flags.interactive, tty: inv.flags.tty,
                                      detachKeys: detachKeys, sigProxy: inv.sigProxy, removeOnSetupFailure: true)
        Trace.mark("done")
        if inv.detach && code == 0 { TerminalInfo.writeStdout(config.id.rawValue + "\n") }
        return code
    }

    /// `cnc run` or `cnc create` (`verb`), as above.
    public static func perform(_ verb: String, _ inv: RunFlags.Invocation, runtime: Runtime, image: () throws -> ImageDefaults) throws -> Int32 {
        verb == "run" ? try run(inv, runtime: runtime, image: image)
            : try create(inv, runtime: runtime, image: image)
    }

    /// Creates the container `inv` describes and prints its ID (`cnc create`); 125 (docker's
    /// status for its own errors) when it cannot.
    public static func create(_ inv: RunFlags.Invocation, runtime: Runtime, image: () throws -> ImageDefaults) throws -> Int32 {
        do {
            try checkCIDFile(inv.flags.cidfile)
            let c = try runtime.create(try inv.flags.makeConfig(autoRemove: inv.rm, image: image))
            try writeCIDFile(inv.flags.cidfile, c, runtime)
            TerminalInfo.writeStdout(c.id.rawValue + "\n")
            return 0
        } catch let e as CNCError {
            writeStderr("Error: \(e.description)\n")
            return 125
        }
    }

    /// `--cidfile`: refused up front when the file exists (Docker's rule: it may belong to a
    /// running container).
    static func checkCIDFile(_ path: String?) throws {
        guard let path, FileSystem.exists(path) else { return }
        throw CNCError(.alreadyExists, "container ID file found, make sure the other container isn't running or delete \(path)")
    }

    /// Writes the new container's ID to `--cidfile`; the container goes again if it cannot.
    static func writeCIDFile(_ path: String?, _ c: ContainerConfig, _ runtime: Runtime) throws {
        guard let path else { return }
        do { try FileSystem.writeAtomically(c.id.rawValue, to: path) } catch {
            try? runtime.remove(c.id.rawValue, force: true)
            throw CNCError.failed("write", "the container ID file \(path)", cause: error)
        }
    }

    /// Starts `config`; in the foreground, attaches stdio and returns the workload's status (0
    /// when the user typed `detachKeys` at a `-it` container: it runs on, as docker's does).
    /// `sigProxy` false: signals to this process are not forwarded (docker's `--sig-proxy=false`).
    /// `removeOnSetupFailure` (`cnc run`, whose container this is): a start that fails before the
    /// workload exists (the host's part: its cgroup, its network) removes the container, so a
    /// failed run leaves nothing behind; a workload that cannot exec (126/127) keeps it, as docker's.
    /// A start that fails (reported on stderr) returns its status (125/126/127), or
    /// `startFailureStatus` when given (docker's `start -a`: 1).
    public static func startAndFollow(_ runtime: Runtime, _ config: ContainerConfig, detach: Bool, interactive: Bool, tty: Bool,
                                      detachKeys: [UInt8] = DetachKeys.defaultSequence, sigProxy: Bool = true,
                                      removeOnSetupFailure: Bool = false, startFailureStatus: Int32? = nil) throws -> Int32 {
        var io = StartIO(detachKeys: detachKeys)
        io.proxiesSignals = sigProxy
        if !detach {
            io.attachOut = 1
            io.attachErr = 2
            // With a tty the monitor types our input into the container's terminal (-i) and
            // gives it our window size.
            if interactive || tty { io.stdin = 0 }
            io.ttyInput = tty && interactive
        }
        if !detach && !tty && sigProxy { Processes.forwardSignals(to: 0) }
        var startedOrNil: StartedContainer? = nil
        do { startedOrNil = try runtime.start(config.id, io: io, config: config) } catch let f as Runtime.StartFailure {
            writeStderr("Error: failed to start container \(config.name): \(f.message)\n")
            if config.autoRemove { try? runtime.remove(config.id.rawValue, force: true) }
            return startFailureStatus ?? f.status
        } catch let e as CNCError {
            writeStderr("Error: \(e.description)\n")
            if config.autoRemove || removeOnSetupFailure { try? runtime.remove(config.id.rawValue, force: true) }
            return startFailureStatus ?? 125
        }
        guard let started = startedOrNil.take() else { return 125 }
        if detach {
            let monitorPid = started.monitorPid
            started.detach()
            if config.sdNotify == .monitor { SdNotify.ready(mainPID: monitorPid > 0 ? monitorPid : nil) }
            return 0
        }
        if config.sdNotify == .monitor { SdNotify.ready(mainPID: nil) }
        let raw = tty && interactive && Terminal.isTerminal(0) && Terminal.makeRaw(0)
        if tty && started.monitorPid > 0 && Terminal.isTerminal(0) { Processes.forwardWindowChanges(to: started.monitorPid) }
        Trace.mark("started pid \(started.pid)")
        // sig-proxy: Ctrl-C and kill reach the workload; the CLI stays to report its status.
        if !tty && sigProxy { Processes.forwardSignals(to: started.pid) }
        let direct = started.isDirect
        let outcome = started.follow(runtime: runtime)
        if raw { Terminal.restore() }
        guard case .exited(let code) = outcome else { return 0 }
        Trace.mark("exited \(code)")
        if config.autoRemove {
            if direct { try? runtime.removeReaped(config) } else { try? runtime.remove(config.id.rawValue, force: true) }
        }
        return code
    }
}
