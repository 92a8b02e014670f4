import CNCSystem
import Synchronization

/// How a build reports its steps: BuildKit's plain progress (`#3 [2/5] RUN make`, the step's
/// output with its time, `#3 CACHED` or `#3 DONE 0.4s`) on stderr, or nothing (`--progress quiet`).
public final class BuildProgress: @unchecked Sendable {
    // @unchecked: stages building side by side number their steps under `counter`'s lock; each
    // line is one write, so lines of parallel stages interleave whole.
    public enum Mode: Sendable { case plain, quiet }
    let mode: Mode
    let fd: Int32
    private let counter = Mutex(0)
    /// The begin/cached/done events so far, for BuildResultRecord to replay.
    private let events = Mutex<[BuildResultRecord.Event]>([])
    var transcript: [BuildResultRecord.Event] { events.withLock { $0 } }

    private func log(_ kind: String, _ number: Int, _ title: String? = nil) {
        events.withLock { $0.append(.init(kind: kind, number: number, title: title)) }
    }

    /// Everything written so far (what a replay prints, for BuildReplayTicket).
    private let written = Mutex<[UInt8]>([])
    public var writtenBytes: [UInt8] { written.withLock { $0 } }

    /// What the build relied on when it replayed its BuildResultRecord (nil: it did not).
    public struct Replay: Sendable {
        /// The record and the cache entries it read, with their device, inode and size as
        /// they were just before (FileSystem.inodeIdentity: files only ever replaced whole).
        public var read: [(path: String, identity: String)]
        /// The blobs it relied on (content-addressed: being there is what counts).
        public var blobs: [String]
        /// The cache entries it touched.
        public var touched: [String]
    }
    private let replayFacts = Mutex<Replay?>(nil)
    public internal(set) var replay: Replay? {
        get { replayFacts.withLock { $0 } }
        set { replayFacts.withLock { $0 = newValue } }
    }

    public init(mode: Mode, fd: Int32 = 2) {
        self.mode = mode
        self.fd = fd
    }

    func write(_ text: String) {
        guard mode == .plain else { return }
        written.withLock { $0 += Array(text.utf8) }
        try? FD.write(fd, Array(text.utf8))
    }

    /// Starts a numbered vertex; returns its number.
    func begin(_ title: String) -> Step {
        let number = counter.withLock { n in
            n += 1
            write("#\(n) \(title)\n")
            log("begin", n, title)
            return n
        }
        return Step(number: number, started: Processes.monotonicNanos())
    }

    func output(_ step: Step, _ line: String) {
        let t = Double(Processes.monotonicNanos() - step.started) / 1e9
        write("#\(step.number) \(String(format3(t))) \(line)\n")
    }

    func cached(_ step: Step) {
        log("cached", step.number)
        write("#\(step.number) CACHED\n")
    }

    func canceled(_ step: Step) { write("#\(step.number) CANCELED\n") }

    func done(_ step: Step) {
        log("done", step.number)
        let t = Double(Processes.monotonicNanos() - step.started) / 1e9
        write("#\(step.number) DONE \(format1(t))s\n")
    }

    func note(_ step: Step, _ text: String) { write("#\(step.number) \(text)\n") }

    func warning(_ text: String) { write(text + "\n") }

    struct Step {
        let number: Int
        let started: Int64
    }

    private func format1(_ t: Double) -> String {
        let tenths = Int((t * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private func format3(_ t: Double) -> String {
        let ms = Int((t * 1000).rounded())
        let frac = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }
}
