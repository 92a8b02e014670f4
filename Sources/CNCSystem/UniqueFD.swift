import Glibc

/// A file descriptor with exactly one owner, closed exactly once: by `close()`, or when the
/// owner goes away. It cannot be copied, so a second close of the same number (which, with
/// several threads, closes whatever another thread opened under that number meanwhile: a
/// netlink socket, a lock file) does not compile. `raw` lends the number for a call; a raw
/// number handed to a child (Spawn's fd map) is the child's copy, and ours is still closed here.
public struct UniqueFD: ~Copyable, Sendable {
    public let raw: Int32

    /// Takes ownership of `raw` (an fd this process opened and nobody else closes).
    public init(adopting raw: Int32) { self.raw = raw }

    /// open(2) with O_CLOEXEC, owned.
    public init(open path: String, _ flags: Int32, mode: mode_t = 0o644) throws {
        raw = try FD.open(path, flags, mode: mode)
    }

    public consuming func close() {
        _ = Glibc.close(raw)
        discard self
    }

    /// Gives the number up to a new owner (which must close it); this one no longer will.
    public consuming func release() -> Int32 {
        let r = raw
        discard self
        return r
    }

    deinit { _ = Glibc.close(raw) }
}
