import CShim
import Glibc

/// Starting children through CShim's clone+exec (no Swift runs in the child) and the pipes
/// between them and the monitor.
enum ChildProcess {
    static let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Starts `path` with `args`; the child's fd i is `fdMap[i]`. Returns the pid (< 0 on a
    /// failed clone) and the errno of a failed exec (or of the clone), 0 when it ran.
    static func spawn(_ path: String, _ args: [String], fdMap: [Int32], flags: UInt = 0, session: Bool = false,
                      trace: Bool) -> (pid: pid_t, errno: Int32) {
        var argv = args.map { strdup($0) }
        argv.append(nil)
        var envp: [UnsafeMutablePointer<CChar>?] = [strdup(Self.path)]
        if trace { envp.append(strdup("CNC_TRACE=1")) }
        envp.append(nil)
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var execErrno: Int32 = 0
        let pid = fdMap.withUnsafeBufferPointer { map -> pid_t in
            var attr = cshim_spawn_attr(clone_flags: flags, fd_map: map.baseAddress, fd_map_len: Int32(map.count),
                                        new_session: session ? 1 : 0, controlling_tty: -1, cwd: nil)
            return cshim_spawn(path, argv, envp, &attr, &execErrno)
        }
        return (pid, pid < 0 ? errno : execErrno)
    }

    /// A close-on-exec pipe (read end, write end); the monitor cannot work without one.
    static func pipe() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if cshim_pipe_cloexec(&fds) != 0 { die("pipe: \(errno)") }
        return (fds[0], fds[1])
    }

    /// Waits for `pid` (EINTR retried) and returns its raw wait status.
    @discardableResult
    static func wait(_ pid: pid_t) -> Int32 {
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
        return st
    }

    /// SIGKILL and reap: a child the monitor gives up on.
    static func kill(_ pid: pid_t) {
        _ = Glibc.kill(pid, SIGKILL)
        wait(pid)
    }

    /// The exit code the way Docker reports it: the code, or 128 + the signal.
    static func exitCode(status st: Int32) -> (code: Int32, signal: Int32) {
        let exited = st & 0x7f == 0
        return exited ? ((st >> 8) & 0xff, 0) : (128 + (st & 0x7f), st & 0x7f)
    }
}
