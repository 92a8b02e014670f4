import CShim
import Glibc

/// Sleeps until a file is renamed into a directory (inotify IN_MOVED_TO: how atomic writes,
/// state.json's among them, land) or a process exits (its pidfd), whichever comes first, with
/// a timeout as a backstop. For waits on another process's record that used to poll with
/// sleeps: the waiter wakes when the record lands, not up to a sleep later.
/// Arm it before the first look at the record, so a rename between that look and the wait
/// still wakes it. When inotify or the pidfd cannot be had, `wait` sleeps the timeout, as the
/// poll loop it replaces did.
public final class RenameWait {
    private var inotify: Int32 = -1
    private var pidfd: Int32 = -1

    /// `directory`: where the awaited file is renamed in. `process`: a pid whose exit also ends
    /// the wait (0: none).
    public init(directory: String, process: Int32 = 0) {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        if fd >= 0 {
            if inotify_add_watch(fd, directory, UInt32(IN_MOVED_TO)) >= 0 { inotify = fd } else { Glibc.close(fd) }
        }
        if process > 0 { pidfd = cshim_pidfd_open(process) }
    }

    deinit {
        // Closing an inotify instance waits out an SRCU grace period (fsnotify's group
        // teardown): 10-20 ms here, which a stop paid after the exit was recorded. A thread of
        // its own pays it instead.
        if inotify >= 0 {
            let fd = inotify
            if !Threads.detach({ _ = Glibc.close(fd) }) { Glibc.close(fd) }
        }
        if pidfd >= 0 { Glibc.close(pidfd) }
    }

    /// True when a rename (or the process's exit) can wake `wait`; false: it only sleeps.
    public var isArmed: Bool { inotify >= 0 }

    /// Returns after a rename into the directory, the process's exit, or `milliseconds`.
    /// Renames seen are consumed; an exited process keeps `wait` returning at once.
    public func wait(milliseconds: Int) {
        guard inotify >= 0 else { Processes.sleep(milliseconds: milliseconds); return }
        var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)]
        if pidfd >= 0 { fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
        if poll(&fds, nfds_t(fds.count), Int32(max(0, milliseconds))) > 0, fds[0].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while buffer.withUnsafeMutableBytes({ read(inotify, $0.baseAddress, $0.count) }) > 0 {}
        }
    }
}
