import CNCSystem
import Synchronization

/// Runs blocking, synchronous work (a container start, stop or removal: process spawns, pipe
/// reads, netlink, file writes, waits) on threads of its own, at most `limit` at a time, and
/// resumes the caller when it is done. The cooperative pool has one thread per core: blocking
/// it left an app's independent actions waiting for each other (two starts at a time on 2
/// cores, one after another while one lock held each start). The limit keeps 20 services from
/// making 20 threads fight over 2 cores and the kernel's RTNL lock at once.
public final class BlockingWork: Sendable {
    public let limit: Int
    private let slots: Mutex<(free: Int, waiting: [CheckedContinuation<Void, Never>])>

    public init(limit: Int) {
        self.limit = max(1, limit)
        slots = Mutex((max(1, limit), []))
    }

    /// Shared by an app's actions: a few starts overlap their waits (the monitor's spawn, init
    /// setting up the root, the cgroup migration's grace period) while their kernel work
    /// (veth creation under RTNL) and the network steps run one at a time anyway.
    public static let shared = BlockingWork(limit: 6)

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            Threads.detach {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    private func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = slots.withLock { s -> Bool in
                if s.free > 0 { s.free -= 1; return true }
                s.waiting.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    private func release() {
        let next = slots.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty { s.free += 1; return nil }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}
