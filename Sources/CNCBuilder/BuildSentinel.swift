import CNCCore
import CNCRuntime
import CNCSystem
import Synchronization

/// What a build killed with -9 leaves is cleared at once, not at the next build. The RUN's
/// process dies with its build (PR_SET_PDEATHSIG), but its container's cgroups, overlay,
/// network attachment and the build's scratch directory need someone alive to remove them.
///
/// That someone is the sentinel: `cnc-cli build-sentinel PID`, started with the build's first
/// RUN (a build that runs nothing starts none), in a session of its own (the terminal's Ctrl-C
/// is the build's to handle), holding the read end of a pipe on its fd 3 whose write end only
/// the build holds (close-on-exec, so no RUN inherits it). A build that ends, failed or not,
/// writes `finished` and closes its end: the sentinel exits. End of file without that byte
/// means the build died: the sentinel sweeps what that build left (BuildSweep) and exits.
final class BuildSentinel: Sendable {
    /// The byte a build writes when it ends of its own accord.
    static let finished: UInt8 = 0x2E
    /// The sentinel's fd that holds the pipe's read end.
    static let pipeFD: Int32 = 3

    let runtime: Runtime
    /// The write end once the sentinel runs (-1: not started).
    private let writeEnd = Mutex<Int32>(-1)

    init(runtime: Runtime) { self.runtime = runtime }

    /// Starts the sentinel unless it runs already (the stages' RUNs may call this side by side).
    func ensureStarted() throws {
        try writeEnd.withLock { fd in
            guard fd < 0 else { return }
            let pipe = try Pipe()
            let null = try UniqueFD(open: "/dev/null", FD.readWrite)
            var options = Spawn.Options()
            options.fdMap = [null.raw, null.raw, null.raw, pipe.read.raw]
            options.newSession = true
            let argv = [runtime.cliBinary, "build-sentinel", "--root", runtime.store.root,
                        "--cgroup-manager", runtime.cgroups.kind.rawValue, String(Processes.current)]
            let pid = try Spawn.spawn(argv[0], arguments: argv, environment: Host.environmentList(), options: options)
            fd = pipe.write.release()
            // Reaped whenever it ends (it outlives a build that ends before it has started up).
            Threads.detach { _ = try? Spawn.wait(pid) }
            Trace.mark("build: sentinel \(pid) started")
        }
    }

    /// The build ended (failed or not): its sentinel leaves without sweeping.
    func finish() {
        writeEnd.withLock { fd in
            guard fd >= 0 else { return }
            _ = try? FD.write(fd, [Self.finished])
            UniqueFD(adopting: fd).close()
            fd = -1
        }
    }

    /// The sentinel's side (`cnc-cli build-sentinel`): waits for the build `owner` to end; when
    /// it ended without saying so, removes its RUN containers and scratch directory. Returns
    /// whether it swept.
    static func serve(owner: Int32, runtime: Runtime) -> Bool {
        var byte = [UInt8](repeating: 0, count: 1)
        let n = (try? FD.read(pipeFD, into: &byte)) ?? 0
        UniqueFD(adopting: pipeFD).close()
        if n == 1, byte[0] == finished { return false }
        BuildSweep.sweep(runtime: runtime, stateRoot: runtime.store.root, owner: owner)
        return true
    }
}

extension Builder {
    /// `cnc-cli build-sentinel PID` (hidden): see BuildSentinel.
    public static func serveSentinel(owner: Int32, runtime: Runtime) -> Bool {
        BuildSentinel.serve(owner: owner, runtime: runtime)
    }
}
