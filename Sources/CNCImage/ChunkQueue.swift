import CNCCore
import Foundation

/// A bounded queue of byte chunks between two threads of a pipeline (producer blocks when full,
/// consumer when empty). Either side can fail it; the other side then sees the error.
final class ChunkQueue: @unchecked Sendable {
    // @unchecked: all state is guarded by `cond`.
    private let cond = NSCondition()
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var finished = false
    private var failure: (any Error)?
    private let capacity: Int

    init(capacity: Int = 16) { self.capacity = capacity }

    /// Adds a chunk; throws the consumer's error if it gave up.
    func put(_ chunk: [UInt8]) throws {
        cond.lock()
        defer { cond.unlock() }
        while chunks.count - head >= capacity && failure == nil { cond.wait() }
        if let failure { throw failure }
        chunks.append(chunk)
        cond.broadcast()
    }

    /// No more chunks will come.
    func finish() {
        cond.lock()
        finished = true
        cond.broadcast()
        cond.unlock()
    }

    func fail(_ error: any Error) {
        cond.lock()
        if failure == nil { failure = error }
        cond.broadcast()
        cond.unlock()
    }

    var error: (any Error)? {
        cond.lock()
        defer { cond.unlock() }
        return failure
    }

    /// The next chunk, nil at the end; throws the producer's error.
    func take() throws -> [UInt8]? {
        cond.lock()
        defer { cond.unlock() }
        while head == chunks.count && !finished && failure == nil { cond.wait() }
        if let failure { throw failure }
        if head == chunks.count { return nil }
        let c = chunks[head]
        chunks[head] = []
        head += 1
        if head > 64 { chunks.removeFirst(head); head = 0 }
        cond.broadcast()
        return c
    }
}

/// Runs `body` on a dedicated thread (never the shared pool: it blocks on I/O) and lets the
/// caller wait for its result.
final class WorkerThread<T: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is written once by the worker before `done` is signalled.
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error> = .failure(CNCError(.internal, "worker did not run"))

    init(name: String, _ body: @escaping @Sendable () throws -> T) {
        let t = Thread { [self] in
            do { result = .success(try body()) } catch { result = .failure(error) }
            done.signal()
        }
        t.name = name
        t.stackSize = 1 << 20
        t.start()
    }

    /// The worker's result, once it has finished. May be called more than once (an error path
    /// that waits again must not block forever on a signal an earlier wait consumed).
    func wait() throws -> T {
        done.wait()
        done.signal()
        return try result.get()
    }
}
