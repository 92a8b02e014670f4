import CNCCore
import Glibc

/// An flock(2) on one file, for short critical sections across processes (e.g. index.json updates).
/// Released by `unlock()`, on deinit, or when the process dies.
public final class FileLock: @unchecked Sendable {
    // @unchecked: fd changes only in init and unlock(), which callers do not race.
    private var fd: Int32
    public let path: String

    public init(path: String, exclusive: Bool = true) throws {
        self.path = path
        fd = try retryingEINTR("open", path: path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        let op = exclusive ? LOCK_EX : LOCK_SH
        while flock(fd, op) != 0 {
            let e = errno
            if e == EINTR { continue }
            Glibc.close(fd)
            fd = -1
            throw SystemError.make("flock", errno: e, path: path)
        }
    }

    public func unlock() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { unlock() }

    /// Runs `body` holding an exclusive lock on `path`.
    public static func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let lock = try FileLock(path: path)
        defer { lock.unlock() }
        return try body()
    }
}
