import CNCCore
import Glibc

/// An advisory lock over one state root (flock on `<root>/lock`), so two cnc processes never
/// mutate the same root at once. Released when closed or when the process dies.
public final class RootLock: @unchecked Sendable {
    // @unchecked: `fd` is written only in init and close(), which callers do not race.
    private var fd: Int32
    public let path: String

    public enum Mode: Sendable { case exclusive, shared }

    /// Takes the lock, waiting for other holders unless `wait` is false, in which case a held lock
    /// throws a `.conflict` error naming the lock file.
    public convenience init(root: String, mode: Mode = .exclusive, wait: Bool = true) throws {
        try FileSystem.createDirectory(root, mode: 0o711)
        try self.init(file: root + "/lock", mode: mode, wait: wait, holder: "state root \(root)")
    }

    /// The same lock over any file (made if missing; its directory must exist); `holder` names
    /// what it guards in the conflict error.
    public init(file: String, mode: Mode = .exclusive, wait: Bool = true, holder: String) throws {
        path = file
        let p = path
        fd = try retryingEINTR("open", path: p) { open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        var op = mode == .exclusive ? LOCK_EX : LOCK_SH
        if !wait { op |= LOCK_NB }
        while flock(fd, op) != 0 {
            let e = errno
            if e == EINTR { continue }
            Glibc.close(fd)
            fd = -1
            if e == EWOULDBLOCK {
                throw CNCError(.conflict, "\(holder) is locked by another cnc process", context: ["lock": p])
            }
            throw SystemError.make("flock", errno: e, path: p)
        }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    deinit { close() }
}
