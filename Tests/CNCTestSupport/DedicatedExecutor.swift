import Dispatch

/// Runs async work of a test on a thread of its own instead of Swift's cooperative pool.
///
/// The pool has one thread per core (two here) and swift-testing runs every test of the process
/// in it, synchronous ones included: each of those holds a pool thread while its CLI commands
/// run. An in-process apply resumes dozens of times (once per start, stop, removal), and every
/// resumption queued behind whole synchronous tests: in full runs 20 bridged starts took 160-220
/// s instead of 8, sometimes past their 240 s deadline ("hung at: apply"), and the deadline's own
/// report came 200 s late. A serial dispatch queue gets a thread of its own when it has work
/// (an overcommit queue), however busy the pool is.
///
/// Use: `await withTaskExecutorPreference(DedicatedExecutor(label: ...)) { ... }`, one per test (a
/// blocking call of one test then holds up none of another's); the body, its
/// child tasks and the default actors it calls run here. An unstructured `Task` does not inherit
/// the preference: pass `Task(executorPreference:)`.
public final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `queue` is immutable and DispatchQueue is thread-safe.
    private let queue: DispatchQueue

    public init(label: String) { queue = DispatchQueue(label: label) }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
