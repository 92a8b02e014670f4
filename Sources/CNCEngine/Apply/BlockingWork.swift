import Foundation

/// Runs blocking, synchronous work (a container start or removal: process spawns, pipe reads,
/// netlink, file writes) on a thread of its own and resumes the caller when it is done. The
/// cooperative pool has one thread per core; blocking it leaves an app's independent actions
/// waiting for each other (on 2 cores, two starts at a time).
enum BlockingWork {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
