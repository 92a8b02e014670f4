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
        // Rootless cnc: the hooks (cnc-cli) must know they run in the user's namespaces.
        for name in [CSHIM_ROOTLESS_ENV, CSHIM_ROOTLESS_RUNDIR_ENV] {
            if let v = getenv(name) { envp.append(strdup(name + "=" + String(cString: v))) }
        }
        envp.append(nil)
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var execErrno: Int32 = 0
        let pid = fdMap.withUnsafeBufferPointer { map -> pid_t in
            var attr = cshim_spawn_attr(clone_flags: flags, fd_map: map.baseAddress, fd_map_len: Int32(map.count),
                                        new_session: session ? 1 : 0, controlling_tty: -1, cwd: nil,
                                        parent_death_signal: 0, parent_pid: 0)
            return cshim_spawn(path, argv, envp, &attr, &execErrno)
        }
        return (pid, pid < 0 ? errno : execErrno)
    }

    /// `spawn` into a user namespace of its own (cshim_spawn_userns): the settings are the
    /// monitor.conf keys the CLI wrote (`usernsuidmap`, ...); init starts in `cwd`. The root
    /// mount lands at fd 6 and the seccomp program (`usernsbpf`, opened here) at fd 7.
    static func spawnUserns(_ path: String, _ args: [String], fdMap: [Int32], flags: UInt, session: Bool, cwd: String,
                            config: MonitorConfig, trace: Bool) -> (pid: pid_t, errno: Int32, step: String) {
        let binds = config.all("usernsbind"), idmap: [Int32] = config.all("usernsbindidmap").map { $0 == "1" ? 1 : 0 } + [0]
        var map = fdMap
        while map.count < 8 + binds.count { map.append(-1) }
        let bpf = config.one("usernsbpf").map { open($0, O_RDONLY | O_CLOEXEC) } ?? -1
        map[7] = bpf
        defer { if bpf >= 0 { close(bpf) } }
        var argv = args.map { strdup($0) }
        argv.append(nil)
        var envp: [UnsafeMutablePointer<CChar>?] = [strdup(Self.path)]
        if trace { envp.append(strdup("CNC_TRACE=1")) }
        envp.append(nil)
        let lowers = config.all("usernslower")
        var lowerPtrs: [UnsafePointer<CChar>?] = lowers.map { UnsafePointer(strdup($0)) }
        lowerPtrs.append(nil)
        let upper = config.one("usernsupper"), work = config.one("usernswork")
        let texts: [String] = [config.one("usernsuidmap") ?? "", config.one("usernsgidmap") ?? "", upper ?? "", work ?? "", cwd]
        let strings = texts.map { strdup($0) }
        defer {
            argv.forEach { free($0) }; envp.forEach { free($0) }
            lowerPtrs.forEach { free(UnsafeMutablePointer(mutating: $0)) }; strings.forEach { free($0) }
        }
        var execErrno: Int32 = 0
        var err = [CChar](repeating: 0, count: 512)
        var bindPtrs: [UnsafePointer<CChar>?] = binds.map { UnsafePointer(strdup($0)) }
        defer { bindPtrs.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        bindPtrs.append(nil)
        let pid = map.withUnsafeBufferPointer { m in
            lowerPtrs.withUnsafeBufferPointer { lp -> pid_t in
              bindPtrs.withUnsafeBufferPointer { bp in
                idmap.withUnsafeBufferPointer { ip in
                var attr = cshim_spawn_attr(clone_flags: flags & ~UInt(CSHIM_CLONE_NEWUSER), fd_map: m.baseAddress, fd_map_len: Int32(m.count),
                                            new_session: session ? 1 : 0, controlling_tty: -1, cwd: UnsafePointer(strings[4]),
                                            parent_death_signal: 0, parent_pid: 0)
                var u = cshim_userns(uid_map: strings[0], gid_map: strings[1],
                                     root_uid: UInt32(config.int("usernsrootuid", 0)), root_gid: UInt32(config.int("usernsrootgid", 0)),
                                     lowers: lp.baseAddress, nlowers: Int32(lowers.count),
                                     upper: upper == nil ? nil : UnsafePointer(strings[2]), work: work == nil ? nil : UnsafePointer(strings[3]),
                                     rootfs: nil, rootfs_fd_index: 6,
                                     binds: bp.baseAddress, bind_idmap: ip.baseAddress, nbinds: Int32(binds.count), bind_fd_base: 8)
                return cshim_spawn_userns(path, argv, envp, &attr, &u, &execErrno, &err, err.count)
                }
              }
            }
        }
        let e = errno
        let step = String(decoding: err.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (pid, pid < 0 ? e : execErrno, step)
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
