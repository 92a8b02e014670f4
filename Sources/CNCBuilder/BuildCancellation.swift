import CNCSystem
import Synchronization

/// What the stages of one build share while they build side by side: the RUN processes running
/// (Ctrl-C and SIGTERM go to one of them, so its stage fails and the build is cancelled), and the
/// first failure, which cancels the rest: every RUN still running is killed and the other stages
/// stop before their next step. The build reports that first failure, not what cancelling caused.
final class BuildCancellation: Sendable {
    private struct State {
        var failure: (any Error)?
        var running: [Int32] = []
    }
    private let state = Mutex(State())
    /// SIGKILL: the RUN's init dies, and its pid namespace with it.
    static let kill: Int32 = 9

    /// A stage stopped because another one failed.
    struct Cancelled: Error {}

    var isCancelled: Bool { state.withLock { $0.failure != nil } }

    /// The first failure of the build, when one happened.
    var failure: (any Error)? { state.withLock { $0.failure } }

    /// A RUN's process started: signals sent to the build go to it. Killed at once when the
    /// build was cancelled meanwhile.
    func started(_ pid: Int32) {
        state.withLock { s in
            s.running.append(pid)
            Processes.forwardSignals(to: pid)
            if s.failure != nil { _ = try? Processes.signal(pid, Self.kill) }
        }
    }

    /// A RUN's process ended: signals go to another RUN still running, else they wait for the next.
    func ended(_ pid: Int32) {
        state.withLock { s in
            s.running.removeAll { $0 == pid }
            Processes.forwardSignals(to: s.running.last ?? 0)
        }
    }

    /// A stage failed: the first failure cancels the build and kills every RUN still running.
    func fail(_ error: any Error) {
        state.withLock { s in
            guard s.failure == nil, !(error is Cancelled) else { return }
            s.failure = error
            for pid in s.running { _ = try? Processes.signal(pid, Self.kill) }
        }
    }
}

/// A build ended by Ctrl-C or SIGTERM (or SIGHUP, SIGQUIT): BuildKit's words for it; docker
/// build (buildx) prints them after `ERROR: ` and exits 130 whichever signal it was.
public struct BuildCanceled: Error, CustomStringConvertible {
    public var signal: Int32
    public static let exitStatus: Int32 = 130
    public var description: String { "failed to solve: Canceled: context canceled" }
}
