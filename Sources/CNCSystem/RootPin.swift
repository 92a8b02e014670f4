import Glibc

/// A hold on a process's root mount: an O_PATH descriptor of `/proc/PID/root`. While one is
/// open, that mount (and its superblock) outlives the process's mount namespace.
///
/// Why: a container's overlay is mounted only inside its mount namespace, so the exit of its
/// init used to shut the overlay down, and an overlay's shutdown syncs the whole upper file
/// system (ovl_sync_fs -> sync_filesystem: every dirty page of the disk, and a cache flush).
/// That ran inside the exit, before the parent could reap it: 5-40 ms between a SIGKILL and
/// the exit being recorded, on every stop. Pinned, the exit is 1-4 ms, and the shutdown
/// happens where the last descriptor is closed (Runtime's RootfsPins decides where).
public enum RootPin {
    /// The pin of `pid`'s root, or nil (no such process, no access).
    public static func take(pid: Int32) -> Int32? {
        guard pid > 0 else { return nil }
        let fd = Glibc.open("/proc/\(pid)/root", SafeCopy.O_PATH | O_DIRECTORY | O_CLOEXEC)
        return fd >= 0 ? fd : nil
    }
}
